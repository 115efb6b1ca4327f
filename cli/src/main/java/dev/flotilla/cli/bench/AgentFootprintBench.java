package dev.flotilla.cli.bench;

import dev.flotilla.sim.ProcessMemory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.runtime.AgentMain;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The agent's memory as a process on a board: a real server in this JVM (H2 in a temporary directory), a
 * signed release of {@code --size} bytes, and the real agent as a child process ({@code java OPTIONS -jar
 * flotilla-agent.jar --config FILE}, by default with the options of the systemd unit in
 * docs/device-integration.md) on a file-backed board: two slot files and the simulated, file-backed boot
 * environment. It samples the agent's {@code /proc/PID/status} while it checks in idle ({@code VmRSS}: the
 * largest over the idle check-ins, and the largest once the process has run for {@link #SETTLE}, when the JIT's
 * start-up arenas are freed) and during the install of the release ({@code VmHWM}, reset before the install),
 * and times the install from
 * the assignment received to the armed trial against the ceiling {@code bench agent-install} uses
 * ({@link InstallCeiling}), measured in the same run before the agent starts.
 */
@Command(name = "agent-footprint", mixinStandardHelpOptions = true,
        description = "The agent process's RSS idle and during an install, and its install throughput ratio.")
public final class AgentFootprintBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /**
     * The JVM options of {@code ExecStart} in the systemd unit of docs/device-integration.md (the unit also sets
     * {@code MALLOC_ARENA_MAX=2}: pass {@code --env MALLOC_ARENA_MAX=2} to measure it as the unit runs it).
     */
    static final String UNIT_JAVA_OPTIONS = "-Xms4m -Xmx16m -XX:+UseSerialGC -Xss256k -XX:-UsePerfData"
            + " -XX:TrimNativeHeapInterval=1000 -XX:-TieredCompilation -XX:CompileThresholdScaling=50 -Xshare:off";
    private static final String HARDWARE = "bench-board";
    private static final long MIB = 1 << 20;
    /**
     * How long after its start the agent's idle RSS counts as settled: the JVM keeps the arenas its JIT compilers
     * used while warming up pooled for up to 5 s before it frees them (about 7 MiB in an agent's first seconds).
     */
    private static final Duration SETTLE = Duration.ofSeconds(10);

    @Option(names = "--size", defaultValue = "1g", description = "Image size, e.g. 256m or 1g (default ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--dir", description = "Directory on the disk to measure (default: a temporary directory).")
    Path dir;

    @Option(names = "--java-options", defaultValue = UNIT_JAVA_OPTIONS, paramLabel = "OPTIONS",
            description = "The agent's JVM options, separated by spaces (default: the systemd unit's, '${DEFAULT-VALUE}').")
    String javaOptions;

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "An environment variable for the agent (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--agent-jar", paramLabel = "JAR",
            description = "The agent-only jar (agent/target/flotilla-agent.jar; default: this process's class path).")
    Path agentJar;

    @Option(names = "--java", paramLabel = "FILE", description = "The java launcher (default: this JVM's).")
    Path java;

    @Option(names = "--idle-checkins", defaultValue = "5", description = "Idle check-ins to sample (default ${DEFAULT-VALUE}).")
    int idleCheckins;

    @Option(names = "--poll-seconds", defaultValue = "2", description = "The server's poll interval (default ${DEFAULT-VALUE}).")
    int pollSeconds;

    @Override
    public Integer call() throws Exception {
        long bytes = AgentInstallBench.size(spec.commandLine(), size);
        if (idleCheckins < 1 || pollSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--idle-checkins and --poll-seconds must be at least 1");
        }
        Path base = dir == null ? Files.createTempDirectory("flotilla-bench-footprint") : Files.createDirectories(dir);
        Path work = Files.createTempDirectory(base, "footprint");
        try {
            ObjectNode r = run(work, bytes);
            System.out.println(new ObjectMapper().writeValueAsString(r));
        } finally {
            delete(work);
            if (dir == null) {
                delete(base);
            }
        }
        return 0;
    }

    private ObjectNode run(Path work, long bytes) throws Exception {
        String loadAverage = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        Path image = work.resolve("fw-2.0.0.img");
        String sha = InstallCeiling.generate(image, bytes);
        InstallCeiling ceiling = InstallCeiling.measure(image, bytes, work);
        ServerConfig sc = ServerConfig.defaults().withDataDir(work.resolve("server")).withPort(0).withHost("127.0.0.1")
                .withPollInterval(Duration.ofSeconds(pollSeconds));
        try (Server server = Server.start(sc.withMaxImageBytes(Math.max(bytes, sc.maxImageBytes())))) {
            String admin = server.initialAdminToken().orElseThrow();
            String api = server.uri().toString();
            BenchRelease.publishImage(server.uri(), admin, work, image, "2.0.0", HARDWARE);
            String secret = new ObjectMapper().readTree(BenchRelease.run("enrollment-tokens", "create", "--server", api,
                    "--token", admin, "--description", "agent-footprint", "--json")).path("secret").asText();
            Path conf = board(work, server.uri());
            try (AgentProcess agent = AgentProcess.start(command(conf), environment(secret), work.resolve("agent.log"))) {
                ObjectNode r = new ObjectMapper().createObjectNode();
                r.put("bytes", bytes).put("javaOptions", javaOptions).put("env", env.toString())
                        .put("agentJar", agentJar == null ? "(class path)" : agentJar.toString())
                        .put("loadAverage", Double.parseDouble(loadAverage));
                idle(agent, server.uri(), r);
                install(agent, api, admin, bytes, r);
                if (!InstallCeiling.sha256(work.resolve("board/slot-b.img")).equals(sha)) {
                    throw new IllegalStateException("slot b does not hold the released image after the install");
                }
                r.put("installVerified", true);
                double agentMiBps = r.path("agentMiBps").asDouble();
                r.put("httpMiBps", round(ceiling.httpMiBps())).put("sha256MiBps", round(ceiling.sha256MiBps()))
                        .put("ddFsyncMiBps", round(ceiling.ddFsyncMiBps())).put("ceilingMiBps", round(ceiling.min()))
                        .put("installRatio", Math.round(agentMiBps / ceiling.min() * 1000) / 1000.0);
                return r;
            }
        }
    }

    /**
     * The first check-in, then {@link #idleCheckins} more while VmRSS is sampled: its maximum is the idle RSS; its
     * maximum from {@link #SETTLE} after the start on (the window is stretched to reach it) the settled idle RSS.
     */
    private void idle(AgentProcess agent, URI server, ObjectNode r) throws Exception {
        long settledFrom = System.nanoTime() + SETTLE.toNanos();
        waitFor(agent, () -> checkins(server) >= 1, "its first check-in");
        long first = checkins(server);
        ProcessMemory max = null;
        ProcessMemory settled = null;
        ProcessMemory last = null;
        while (checkins(server) < first + idleCheckins || settled == null) {
            last = agent.memory().orElseThrow(() -> new IllegalStateException("the agent exited while idle"));
            max = larger(max, last);
            settled = System.nanoTime() - settledFrom >= 0 ? larger(settled, last) : settled;
            Thread.sleep(100);
        }
        r.put("idleCheckins", checkins(server) - first).put("idleRssMiB", mib(max.rssKiB()))
                .put("idleRssAnonMiB", mib(max.anonKiB())).put("idleRssFileMiB", mib(max.fileKiB()))
                .put("idleSettledRssMiB", mib(settled.rssKiB())).put("startupPeakRssMiB", mib(last.hwmKiB()));
    }

    private static ProcessMemory larger(ProcessMemory a, ProcessMemory b) {
        return a == null || b.rssKiB() > a.rssKiB() ? b : a;
    }

    /** Deploys the release to the device and samples until the agent exits for the reboot after arming the trial. */
    private void install(AgentProcess agent, String api, String admin, long bytes, ObjectNode r) throws Exception {
        String device = agent.first("agent: device ").orElseThrow().text().split(" ")[2];
        boolean reset = agent.resetPeak();
        BenchRelease.run("deployments", "create", "--server", api, "--token", admin, "--target", "fw-2.0.0.img",
                "--device", device);
        long peak = 0;
        long maxRss = 0;
        while (agent.alive()) {
            var m = agent.memory();
            if (m.isPresent()) {
                peak = Math.max(peak, m.get().hwmKiB());
                maxRss = Math.max(maxRss, m.get().rssKiB());
            }
            Thread.sleep(50);
        }
        int status = agent.await(30);
        var start = agent.first("(ASSIGNMENT_RECEIVED");
        var armed = agent.first("(TRIAL_ARMED");
        if (status != 0 || start.isEmpty() || armed.isEmpty() || agent.first("reboot requested").isEmpty()) {
            throw new IllegalStateException("the agent did not arm the trial and exit for the reboot (exit " + status
                    + "); see its log");
        }
        double seconds = (armed.get().nanos() - start.get().nanos()) / 1e9;
        r.put("installPeakRssMiB", mib(peak)).put("installMaxSampledRssMiB", mib(maxRss)).put("peakReset", reset)
                .put("installSeconds", round(seconds)).put("agentMiBps", round(bytes / (double) MIB / seconds));
    }

    /** A board made of files: slot a (running, factory 1.0.0), an empty slot b, the kernel command line. */
    private Path board(Path work, URI server) throws IOException {
        Path b = Files.createDirectories(work.resolve("board"));
        Files.copy(work.resolve("repo/root.json"), b.resolve("root.json"));
        Files.writeString(b.resolve("cmdline"), "flotilla.slot=a\n");
        Files.write(b.resolve("slot-a.img"), new byte[0]);
        Files.write(b.resolve("slot-b.img"), new byte[0]);
        return Files.writeString(b.resolve("agent.conf"), """
                { "server": "%s", "stateDir": "state", "hardwareId": "%s", "factoryVersion": "1.0.0",
                  "trustedRoot": "root.json", "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"},
                  "poll": {"intervalSeconds": %d, "jitter": 0},
                  "rebootCommand": ["true"] }
                """.formatted(server, HARDWARE, pollSeconds));
    }

    private List<String> command(Path conf) {
        List<String> cmd = new ArrayList<>();
        cmd.add((java == null ? Path.of(System.getProperty("java.home"), "bin", "java") : java).toString());
        cmd.addAll(Arrays.stream(javaOptions.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
        if (agentJar == null) {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentMain.class.getName()));
        } else {
            cmd.addAll(List.of("-jar", agentJar.toString()));
        }
        cmd.addAll(List.of("--config", conf.toString()));
        return cmd;
    }

    private Map<String, String> environment(String secret) {
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("FLOTILLA_ENROLLMENT_TOKEN", secret);
        return all;
    }

    /** The server's {@code flotilla_checkins_total}, all results. */
    private static long checkins(URI server) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(server.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return body.lines().filter(l -> l.startsWith("flotilla_checkins_total{"))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        }
    }

    private static void waitFor(AgentProcess agent, Check done, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!done.get()) {
            if (!agent.alive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the agent did not reach " + what + (agent.alive() ? "" : " (it exited)")
                        + "; its last lines: " + agent.tail(3));
            }
            Thread.sleep(100);
        }
    }

    private interface Check {
        boolean get() throws Exception;
    }

    private static long mib(long kib) {
        return Math.round(kib / 1024.0);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void delete(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var files = Files.walk(p)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
