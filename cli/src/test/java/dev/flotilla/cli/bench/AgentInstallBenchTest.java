package dev.flotilla.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentInstallBenchTest {
    @TempDir
    Path dir;

    @Test
    void aSmallRunInstallsThroughTheRealMachineAndReportsEveryMeasure() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = new CommandLine(new AgentInstallBench()).execute("--size", "8m", "--dir", dir.toString());
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        JsonNode r = new ObjectMapper().readTree(buf.toString());
        assertThat(r.path("bytes").asLong()).isEqualTo(8L << 20);
        for (String f : new String[] {"agentMiBps", "httpMiBps", "sha256MiBps", "ddFsyncMiBps", "ceilingMiBps", "ratio"}) {
            assertThat(r.path(f).asDouble()).as(f).isPositive();
        }
        assertThat(r.path("ceilingMiBps").asDouble()).isEqualTo(Math.min(r.path("httpMiBps").asDouble(),
                Math.min(r.path("sha256MiBps").asDouble(), r.path("ddFsyncMiBps").asDouble())));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).isEmpty(); // cleans up after itself
        }
    }

    @Test
    void sizesParse() {
        assertThat(AgentInstallBench.parseSize("1g")).isEqualTo(1L << 30);
        assertThat(AgentInstallBench.parseSize("256M")).isEqualTo(256L << 20);
        assertThatThrownBy(() -> AgentInstallBench.parseSize("lots")).hasMessageContaining("--size");
    }
}
