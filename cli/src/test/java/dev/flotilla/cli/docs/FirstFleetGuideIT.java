package dev.flotilla.cli.docs;

import dev.flotilla.core.testing.RequiredTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/first-fleet.md works as written: its {@code ```sh} blocks, in order, run in one bash (as a reader types
 * them into one terminal, so step 8's {@code kill %2 %1} ends the jobs of step 1 and 6) in a temporary folder
 * that stands for the clone's top, and the board takes the release. Before the blocks come {@link #PREAMBLE}'s
 * settings; the blocks themselves run as written, but for these substitutions:
 * <ul>
 *   <li>{@code ./flotilla} is a wrapper there that runs the jar {@code package} built with the JDK running this
 *       test (the real launcher could start {@code ./mvnw});</li>
 *   <li>port 8080 is a free port;</li>
 *   <li>HOME and XDG_CONFIG_HOME are in the temporary folder, so {@code login} saves its profile there;</li>
 *   <li>the fixed waits become bounded polls: step 6's {@code sleep 10} waits for the agent's enrollment in its
 *       log; step 7's {@code sleep 20} for {@code UPDATE_SUCCEEDED: running 1.1.0} in its log and then for
 *       the server to count the device as committed in the rollout;</li>
 *   <li>the sample ids of step 7 ({@code rol_...}, {@code dev_...}) are the ids the server gave, read from
 *       {@code rollout list --json} and {@code devices list --json} once the update is done.</li>
 * </ul>
 * Before the clean-up the test adds one {@code ./flotilla devices list} (the guide says it shows 1.1.0 then) and
 * notes the jobs' ids, to check that the clean-up ended them.
 * Needs fw_printenv, fw_setenv and mkenvimage (skipped without them, failed under CI).
 */
class FirstFleetGuideIT {
    static final Path ROOT = Path.of(System.getProperty("flotilla.root", "..")).toAbsolutePath().normalize();
    static final Path GUIDE = ROOT.resolve("docs/first-fleet.md");
    static final Path JAR = ROOT.resolve("cli/target/flotilla.jar");
    static final long RUN_LIMIT_SECONDS = 240;
    static final String LIST_AFTER = "### test: devices list after the rollout";

    /**
     * Job control as in a terminal (so {@code kill %2} ends the agent's loop and the agent in it); a failing
     * command ends the run, and then ends the jobs (a run that succeeds leaves them to the guide's clean-up);
     * {@code guide_until SECONDS 'COMMAND'} runs COMMAND every half second, without tracing, until it succeeds.
     */
    static final String PREAMBLE = """
            set -e -m
            trap 'if [ $? -ne 0 ]; then for p in $(jobs -p); do kill -- -"$p"; done; fi' EXIT
            guide_until() {
              { local -; set +x; } 2>/dev/null
              local limit=$((SECONDS + $1))
              until eval "$2" >/dev/null 2>&1; do
                if [ "$SECONDS" -ge "$limit" ]; then echo "### test: gave up after $1 s waiting for: $2"; return 1; fi
                sleep 0.5
              done
            }
            set -x
            """;

    @TempDir
    Path tmp;

    @Test
    void theGuideTakesAFreshCloneToABoardRunningTheRelease() throws Exception {
        RequiredTools.assumeInstalled(
                Stream.of("fw_printenv", "fw_setenv", "mkenvimage").allMatch(FirstFleetGuideIT::onPath),
                "skipping the first-fleet guide: it needs fw_printenv and fw_setenv (apt-get install libubootenv-tool) "
                        + "and mkenvimage (apt-get install u-boot-tools)");
        assertThat(JAR).as("the jar 'package' builds").isRegularFile();
        Path clone = Files.createDirectories(tmp.resolve("clone"));
        String marker = "-Dflotilla.firstFleetGuideIT=" + clone;
        writeWrapper(clone, marker);
        Path jobs = tmp.resolve("jobs.txt");
        Files.writeString(clone.resolve("guide.sh"), script(Files.readString(GUIDE), freePort(), jobs));

        Path log = tmp.resolve("bash.log");
        ProcessBuilder pb = new ProcessBuilder("bash", "guide.sh").directory(clone.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOTILLA_"));
        pb.environment().put("HOME", tmp.resolve("home").toString());
        pb.environment().put("XDG_CONFIG_HOME", tmp.resolve("home/.config").toString());
        Process bash = pb.start();
        String out = "";
        try {
            boolean done = bash.waitFor(RUN_LIMIT_SECONDS, TimeUnit.SECONDS);
            out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(done).as("the guide did not finish in %d s; its output:%n%s", RUN_LIMIT_SECONDS, out).isTrue();
            assertThat(bash.exitValue()).as("the guide's bash failed; its output:%n%s", out).isZero();
            assertOutcome(out);
            assertThat(clone.resolve("first-fleet")).as("step 8 removes first-fleet/; output:%n%s", out).doesNotExist();
            assertThat(tmp.resolve("home/.config/flotilla/profile.json")).as("logout removes the profile")
                    .doesNotExist();
            assertNothingLeftRunning(marker, jobs, out);
        } finally {
            bash.descendants().forEach(ProcessHandle::destroyForcibly);
            bash.destroyForcibly();
            for (long pid : Files.exists(jobs) ? pids(jobs) : List.<Long>of()) {
                ProcessHandle.of(pid).ifPresent(p -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                });
            }
            running(marker).forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** The guide's sh blocks with the substitutions of the class comment, in one script. */
    static String script(String guide, int port, Path jobs) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL).matcher(guide);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        StringBuilder s = new StringBuilder(PREAMBLE);
        for (String block : blocks) {
            String b = block;
            b = b.replace("8080", String.valueOf(port));
            b = b.replace("sleep 10;", "guide_until 60 'grep -q \"^agent: device dev_\" first-fleet/agent.log';");
            b = b.replace("sleep 20;", """
                    guide_until 120 'grep -qF "UPDATE_SUCCEEDED: running 1.1.0" first-fleet/agent.log'
                    GUIDE_ROLLOUT=$(./flotilla rollout list --json | grep -o 'rol_[A-Za-z0-9_-]*' | head -1)
                    GUIDE_DEVICE=$(./flotilla devices list --json | grep -o 'dev_[A-Za-z0-9_-]*' | head -1)
                    guide_until 60 './flotilla rollout devices "$GUIDE_ROLLOUT" --state committed \\
                        | grep -qF "$GUIDE_DEVICE"'
                    """);
            b = b.replaceAll("\\brol_[A-Za-z0-9]{8,}", "\"\\$GUIDE_ROLLOUT\"")
                    .replaceAll("\\bdev_[A-Za-z0-9]{8,}", "\"\\$GUIDE_DEVICE\"");
            if (b.contains("kill %2 %1")) {
                s.append("echo '").append(LIST_AFTER).append("'\n./flotilla devices list\n");
                s.append("jobs -p > '").append(jobs).append("'\n");
            }
            s.append(b).append('\n');
        }
        String all = s.toString();
        for (String expected : List.of("--port " + port, "127.0.0.1:" + port + "\",", "login --server http://127.0.0.1:"
                + port, "UPDATE_SUCCEEDED", "rollout show \"$GUIDE_ROLLOUT\"", "devices show \"$GUIDE_DEVICE\"",
                LIST_AFTER, "kill %2 %1", "rm -rf first-fleet")) {
            assertThat(all).as("a substitution no longer matches docs/first-fleet.md").contains(expected);
        }
        assertThat(all.replace("do sleep 2; done", "")).as("a fixed wait the test does not replace")
                .doesNotContain("8080").doesNotContainPattern("\\bsleep [0-9]+[;\\s]");
        return all;
    }

    /** {@code ./flotilla} in the clone's stand-in: the packaged jar on this JDK, marked to be found later. */
    private static void writeWrapper(Path clone, String marker) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path wrapper = Files.writeString(clone.resolve("flotilla"), "#!/bin/sh\nexec '" + java + "' '" + marker
                + "' -jar '" + JAR + "' \"$@\"\n");
        assertThat(wrapper.toFile().setExecutable(true)).isTrue();
    }

    private static void assertOutcome(String out) {
        assertThat(out).as("the agent commits the update; output:%n%s", out)
                .contains("agent: state COMMITTED -> IDLE (UPDATE_SUCCEEDED: running 1.1.0)");
        String env = between(out, "+ fw_printenv -c first-fleet/device/fw_env.config\n", LIST_AFTER);
        assertThat(env).as("the U-Boot environment after the update; output:%n%s", out)
                .containsPattern("(?m)^boot_slot=b$").containsPattern("(?m)^upgrade_available=0$");
        String list = between(out, LIST_AFTER + "\n", "+ jobs -p");
        assertThat(list).as("devices list after the update; output:%n%s", out)
                .containsPattern("(?m)^dev_\\S+\\s+devboard\\s+1\\.1\\.0\\s+ok\\s");
        assertThat(stageCommitted(out, "1")).as("stage 1's committed devices in rollout show; output:%n%s", out)
                .isEqualTo("1");
    }

    /** The text after the last {@code from} up to the next {@code to} (or the end). */
    private static String between(String out, String from, String to) {
        int at = out.lastIndexOf(from);
        assertThat(at).as("'%s' in the output:%n%s", from.strip(), out).isNotNegative();
        String rest = out.substring(at + from.length());
        int end = rest.indexOf(to);
        return end < 0 ? rest : rest.substring(0, end);
    }

    /** The COMMITTED column of a stage in the funnel table {@code rollout show} printed. */
    private static String stageCommitted(String out, String stage) {
        String[] lines = out.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("STAGE  PLAN  SIZE  STATUS")) {
                int column = Arrays.asList(lines[i].trim().split("\\s{2,}")).indexOf("COMMITTED");
                for (int j = i + 1; j < lines.length && !lines[j].isBlank(); j++) {
                    String[] cells = lines[j].trim().split("\\s+");
                    if (cells[0].equals(stage) && column >= 0 && column < cells.length) {
                        return cells[column];
                    }
                }
            }
        }
        return "no funnel table with stage " + stage;
    }

    /** Step 8 ended the server and the agent: no process of this run is left (after a grace for their exit). */
    private static void assertNothingLeftRunning(String marker, Path jobs, String out)
            throws IOException, InterruptedException {
        List<Long> jobPids = pids(jobs);
        assertThat(jobPids).as("the guide's two jobs before the clean-up; output:%n%s", out).hasSize(2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && (!running(marker).isEmpty() || anyAlive(jobPids))) {
            Thread.sleep(200);
        }
        assertThat(running(marker)).as("server or agent still running after step 8; output:%n%s", out)
                .extracting(p -> p.info().commandLine().orElse("?")).isEmpty();
        assertThat(anyAlive(jobPids)).as("a job of the guide still running after step 8: %s", jobPids).isFalse();
    }

    private static List<Long> pids(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.trim())).toList();
    }

    private static boolean anyAlive(List<Long> pids) {
        return pids.stream().anyMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    /** The JVMs the wrapper started (their command line carries {@code marker}). */
    private static List<ProcessHandle> running(String marker) {
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().orElse("").contains(marker)).toList();
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
