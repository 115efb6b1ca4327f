package dev.flotilla.cli.tufclient;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/tuf-client} as the tuf-conformance suite runs it: a real process per call, against the loopback
 * repository. Runs in {@code verify}, after {@code package} built the jar (the launcher is told not to build).
 */
class TufClientIT extends TufClientScenarios {
    static final Path ROOT = Path.of(System.getProperty("flotilla.root", "..")).toAbsolutePath().normalize();

    @Override
    Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/tuf-client").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("FLOTILLA_NO_BUILD", "1");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = tmp.resolve("stdout.txt");
        Path err = tmp.resolve("stderr.txt");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/tuf-client did not finish in 60 s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void aSuccessfulCallPrintsNothingOnStderr() throws Exception {
        Result init = init();
        Result download = download("a.bin", "fw/b.bin");

        assertThat(init.exit()).isZero();
        assertThat(download.exit()).isZero();
        assertThat(init.err() + download.err()).isEmpty();
    }

    @Test
    void aUsageErrorExitsOneWithOneLine() throws Exception {
        assertOneLineFailure(run("--metadata-dir", metadataDir.toString(), "--no-such-option", "refresh"),
                "--no-such-option");
    }
}
