package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.net.RealServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent-only jar ({@code target/flotilla-agent.jar}, built by {@code package}) as a real process: its
 * command line, a first start and check-in against the real server on loopback, and the same on a runtime
 * made by jlink with the modules docs/device-integration.md names (checked against jdeps).
 */
class AgentJarIT {
    private static final Path JAR = Path.of(System.getProperty("flotilla.agentJar", "target/flotilla-agent.jar"));
    private static final Path ROOT = Path.of(System.getProperty("flotilla.root", ".."));
    private static final Path JAVA_HOME = Path.of(System.getProperty("java.home"));

    @TempDir
    Path dir;

    /** A finished process: exit status and output (stdout and stderr together). */
    private record Ran(int status, String output) {
    }

    private static Ran run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished: " + command).isTrue();
        return new Ran(p.exitValue(), out);
    }

    private static String java(Path home) {
        return home.resolve("bin/java").toString();
    }

    @Test
    void theJarRunsJustTheAgentWithoutTheServer() throws Exception {
        Ran help = run(List.of(java(JAVA_HOME), "-jar", JAR.toString(), "--help"));
        assertThat(help.status()).isZero();
        assertThat(help.output()).startsWith("Usage: flotilla-agent --config FILE");
        Ran bad = run(List.of(java(JAVA_HOME), "-jar", JAR.toString()));
        assertThat(bad.status()).isEqualTo(AgentMain.EXIT_USAGE);
        assertThat(bad.output()).startsWith("missing required option: '--config=FILE'");
        try (ZipFile zip = new ZipFile(JAR.toFile())) {
            List<String> names = Collections.list(zip.entries()).stream().map(e -> e.getName()).toList();
            assertThat(names).contains("dev/flotilla/agent/runtime/AgentMain.class", "dev/flotilla/core/tuf/Root.class");
            assertThat(names).noneMatch(n -> n.startsWith("dev/flotilla/server/") || n.startsWith("dev/flotilla/cli/")
                    || n.startsWith("io/javalin/") || n.startsWith("org/eclipse/jetty/") || n.startsWith("org/h2/"));
        }
    }

    @Test
    void theJarEnrollsAndChecksInAgainstALoopbackServer() throws Exception {
        checksIn(JAVA_HOME);
    }

    @Test
    void theJarRunsOnAJlinkedRuntimeWithTheDocumentedModules() throws Exception {
        Path jlink = JAVA_HOME.resolve("bin/jlink");
        Assumptions.assumeTrue(Files.isExecutable(jlink), "no jlink in " + JAVA_HOME);
        Set<String> documented = documentedModules();
        Ran jdeps = run(List.of(JAVA_HOME.resolve("bin/jdeps").toString(), "--print-module-deps",
                "--ignore-missing-deps", "--multi-release", "21", JAR.toString()));
        assertThat(jdeps.status()).as(jdeps.output()).isZero();
        assertThat(documented).containsAll(Arrays.asList(jdeps.output().strip().split(",")));
        Path runtime = dir.resolve("runtime");
        Ran linked = run(List.of(jlink.toString(), "--add-modules", String.join(",", documented), "--strip-debug",
                "--no-man-pages", "--no-header-files", "--output", runtime.toString()));
        Assumptions.assumeFalse(linked.output().contains("jmods") && linked.status() != 0,
                "this JDK cannot link a runtime: " + linked.output());
        assertThat(linked.status()).as(linked.output()).isZero();
        checksIn(runtime);
    }

    /** The modules of the {@code jlink --add-modules ...} command in docs/device-integration.md. */
    private static Set<String> documentedModules() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/device-integration.md"));
        Matcher m = Pattern.compile("jlink --add-modules ([a-z.,]+)").matcher(doc);
        assertThat(m.find()).as("a jlink --add-modules command in docs/device-integration.md").isTrue();
        return new TreeSet<>(Arrays.asList(m.group(1).split(",")));
    }

    /** Runs the jar on the runtime in {@code javaHome} until the loopback server has its signed manifest. */
    private void checksIn(Path javaHome) throws Exception {
        try (RealServer server = new RealServer(dir.resolve("server"))) {
            TestRepo repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
            repo.publish();
            Path dev = Files.createDirectories(dir.resolve("device"));
            Files.write(dev.resolve("root.json"), repo.rootBytes());
            Files.writeString(dev.resolve("cmdline"), "flotilla.slot=a\n");
            Files.write(dev.resolve("slot-a.img"), new byte[0]);
            Files.write(dev.resolve("slot-b.img"), new byte[0]);
            Path conf = Files.writeString(dev.resolve("agent.conf"), """
                    { "server": "%s", "stateDir": "state", "hardwareId": "board-a", "factoryVersion": "1.0.0",
                      "trustedRoot": "root.json", "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                      "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"} }
                    """.formatted(server.uri()));
            List<String> cmd = new ArrayList<>(List.of(java(javaHome), "-Xmx64m", "-jar", JAR.toString(), "--config",
                    conf.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.log").toFile());
            pb.environment().put("FLOTILLA_ENROLLMENT_TOKEN", server.enrollmentToken());
            Process p = pb.start();
            try {
                JsonNode manifest = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (manifest == null && p.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    for (JsonNode d : server.get("/api/v1/devices").path("items")) {
                        JsonNode m = server.get("/api/v1/devices/" + d.path("id").asText()).path("manifest");
                        manifest = m.isNull() || m.isMissingNode() ? null : m;
                    }
                }
                assertThat(manifest).as(Files.readString(dir.resolve("agent.log"))).isNotNull();
                assertThat(manifest.path("slot").asText()).isEqualTo("a");
                assertThat(manifest.path("installedVersion").asText()).isEqualTo("1.0.0");
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(Files.readString(dir.resolve("agent.log"))).contains("agent: device ").doesNotContain("Exception");
        }
    }
}
