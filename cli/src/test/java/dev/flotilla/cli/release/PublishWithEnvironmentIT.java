package dev.flotilla.cli.release;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./flotilla trust init} and {@code ./flotilla release publish} as an operator runs them: through the
 * launcher and the packaged jar, with the server and token from FLOTILLA_SERVER and FLOTILLA_TOKEN, and with
 * the progress bar (whose terminal library loads native code) printing no JVM warning.
 */
class PublishWithEnvironmentIT {
    static final Path ROOT = Path.of(System.getProperty("flotilla.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path tmp;
    Server server;
    String admin;

    record Result(int exit, String out, String err) {
    }

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:envit" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Result flotilla(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("flotilla").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("FLOTILLA_NO_BUILD", "1");
        pb.environment().put("FLOTILLA_NO_ARCHIVE", "1");
        pb.environment().remove("FLOTILLA_JAVA_OPTS");
        pb.environment().put("FLOTILLA_SERVER", server.uri().toString());
        pb.environment().put("FLOTILLA_TOKEN", admin);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("./flotilla did not finish in 120 s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void trustInitAndPublishTakeTheServerAndTokenFromTheEnvironmentAndPrintNoJvmWarning() throws Exception {
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        Result init = flotilla("trust", "init", "--accept-online-keys", "--root-key", fx.pub("root1").toString(),
                "--targets-key", fx.pub("targets").toString(), "--sign-with", fx.key("root1").toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(init.out()).contains("uploaded root version 1").contains(server.uri().toString());

        byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        Path image = Files.write(tmp.resolve("fw-1.0.bin"), bytes);
        Result publish = flotilla("release", "publish", "--image", image.toString(), "--version", "1.0.0",
                "--hardware", "board-a", "--targets-key", fx.key("targets").toString());
        assertThat(publish.exit()).as(publish.err()).isZero();
        assertThat(publish.out()).contains("published fw-1.0.bin (300000 bytes");
        assertThat(publish.err()).contains("upload fw-1.0.bin").doesNotContain("WARNING");
    }
}
