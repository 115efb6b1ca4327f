package dev.flotilla.cli.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.cli.CliRun;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --ca-bundle} / FLOTILLA_CA_BUNDLE against the real server speaking HTTPS with a certificate from a
 * private CA made in the test.
 */
class CaBundleOptionTest {
    @TempDir
    static Path dir;
    static TestCa ca;
    static Server server;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        ca = TestCa.create(dir.resolve("ca"));
        server = Server.start(ServerConfig.defaults().withDataDir(dir.resolve("data")).withPort(0)
                .withHost("127.0.0.1").withTls(ca.serverCert(), ca.serverKey()));
        admin = server.initialAdminToken().orElseThrow();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void withTheBundleTheCommandTalksToTheServer() {
        CliRun run = CliRun.of("devices", "list", "--server", server.uri(), "--token", admin, "--ca-bundle", ca.caPem());
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
    }

    @Test
    void withoutTheBundleTheCommandSaysInOneLineThatTheCertificateIsNotTrustedAndWhatToDo() {
        CliRun run = CliRun.of("devices", "list", "--server", server.uri(), "--token", admin);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("flotilla: error: cannot connect to " + server.uri() + "/: the server's TLS "
                + "certificate is not trusted: no path to a trusted CA; if a private CA signed it, pass that CA with "
                + "--ca-bundle FILE or FLOTILLA_CA_BUNDLE" + System.lineSeparator());
    }

    @Test
    void aBundleThatDoesNotExistIsOneLineNamingTheFile() {
        Path missing = dir.resolve("nope.pem");
        CliRun run = CliRun.of("devices", "list", "--server", server.uri(), "--token", admin, "--ca-bundle", missing);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("flotilla: error: " + missing + ": no such file" + System.lineSeparator());
    }

    @Test
    void theEnvironmentVariableNamesTheBundleToo() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main", "devices", "list", "--server",
                server.uri().toString(), "--token", admin));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("FLOTILLA_CA_BUNDLE", ca.caPem().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).doesNotContain("error");
    }
}
