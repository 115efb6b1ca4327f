package dev.flotilla.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentFootprintBenchTest {
    @TempDir
    Path dir;

    @Test
    void aSmallRunMeasuresTheRealAgentProcessIdleAndThroughAVerifiedInstall() throws Exception {
        JsonNode r = run("--size", "4m", "--dir", dir.toString(), "--idle-checkins", "2", "--poll-seconds", "1");
        assertThat(r.path("bytes").asLong()).isEqualTo(4L << 20);
        assertThat(r.path("javaOptions").asText()).isEqualTo(AgentFootprintBench.UNIT_JAVA_OPTIONS);
        assertThat(r.path("idleCheckins").asLong()).isGreaterThanOrEqualTo(2); // the server heard the process
        for (String f : new String[] {"idleRssMiB", "startupPeakRssMiB", "installPeakRssMiB", "agentMiBps",
                "ddFsyncMiBps", "ceilingMiBps", "installRatio"}) {
            assertThat(r.path(f).asDouble()).as(f).isPositive();
        }
        assertThat(r.path("idleSettledRssMiB").asDouble()).isPositive()
                .isLessThanOrEqualTo(r.path("idleRssMiB").asDouble());
        assertThat(r.path("installVerified").asBoolean()).isTrue(); // slot b holds the released image's bytes
        assertThat(r.path("installRatio").asDouble()).isCloseTo(
                r.path("agentMiBps").asDouble() / r.path("ceilingMiBps").asDouble(), org.assertj.core.data.Offset.offset(0.05));
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).isEmpty(); // cleans up after itself
        }
    }

    /**
     * The agent process through its whole life (a new key, enrollment, check-ins, a verified install and its
     * state files) never builds one of Jackson's object mappers: their data binding was most of what the agent's
     * memory held above the JVM's own.
     */
    @Test
    void theAgentProcessNeverLoadsJacksonsDataBinding(@TempDir Path logs) throws Exception {
        Path classes = logs.resolve("classes.txt");
        String options = AgentFootprintBench.UNIT_JAVA_OPTIONS + " -Xlog:class+load=info:file=" + classes;
        JsonNode r = run("--size", "1m", "--dir", dir.toString(), "--idle-checkins", "1", "--poll-seconds", "1",
                "--java-options", options);
        assertThat(r.path("installVerified").asBoolean()).isTrue();
        assertThat(Files.readString(classes))
                .contains("dev.flotilla.agent.update.StateJson ", "dev.flotilla.agent.install.SlotRecords ",
                        "dev.flotilla.core.keys.KeyFiles ", "com.fasterxml.jackson.databind.node.ObjectNode ")
                .doesNotContain("com.fasterxml.jackson.databind.ObjectMapper ",
                        "com.fasterxml.jackson.databind.deser.", "com.fasterxml.jackson.databind.ser.");
    }

    /** Runs the bench with {@code args}, which must succeed, and returns the JSON it printed. */
    private static JsonNode run(String... args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = new CommandLine(new AgentFootprintBench()).execute(args);
        } finally {
            System.setOut(old);
        }
        assertThat(code).as(buf.toString()).isZero();
        return new ObjectMapper().readTree(buf.toString());
    }

    @Test
    void badOptionsAreOneLineAndNothingRuns() throws Exception {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = new CommandLine(new AgentFootprintBench());
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute("--size", "lots", "--dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith("--size must look like 512m or 1g, not 'lots'").doesNotContain("Exception");
        assertThat(cl.execute("--idle-checkins", "0", "--size", "1m", "--dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--idle-checkins and --poll-seconds must be at least 1");
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).isEmpty();
        }
    }

    @Test
    void theDefaultOptionsAreTheDocumentedUnits() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "device-integration.md"));
        assertThat(doc).contains("ExecStart=/usr/lib/flotilla/jre/bin/java " + AgentFootprintBench.UNIT_JAVA_OPTIONS
                + " -jar /usr/lib/flotilla/flotilla-agent.jar");
    }
}
