package dev.flotilla.core.interop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.repo.DirectoryServer;
import dev.flotilla.core.tuf.repo.RepoFixture;
import dev.flotilla.core.testing.RequiredTools;
import dev.flotilla.core.tuf.repo.TestKeys;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The independent TUF client tuf-js accepts a repository written by {@code dev.flotilla.core.tuf.repo}:
 * initial update, a root rotation to new keys, a delegated role, and target downloads.
 * Needs {@code node} and {@code npm ci} run in {@code interop/tuf-js} (done by {@code .ci/run}).
 */
class TufJsInteropTest {
    private Path clientScript;

    @TempDir
    Path tmp;

    /** In {@code @BeforeEach} (not {@code @BeforeAll}) so that surefire reports the skip and its reason. */
    @BeforeEach
    void findHarness() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("interop/tuf-js/client.mjs"))) {
            dir = dir.getParent();
        }
        Assumptions.assumeTrue(dir != null, "interop/tuf-js/client.mjs not found above " + Path.of("").toAbsolutePath());
        RequiredTools.assumeInstalled(nodeAvailable(), "skipping tuf-js interop: 'node' is not on the PATH");
        RequiredTools.assumeInstalled(Files.isDirectory(dir.resolve("interop/tuf-js/node_modules/tuf-js")),
                "skipping tuf-js interop: run 'npm ci' in " + dir.resolve("interop/tuf-js") + " first");
        clientScript = dir.resolve("interop/tuf-js/client.mjs");
    }

    private static boolean nodeAvailable() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private JsonNode runTufJs(DirectoryServer server, Path trustedRoot, String... targets) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", clientScript.toString(),
                "--metadata-url", server.baseUrl().toString(),
                "--target-base-url", server.baseUrl().resolve("targets/").toString(),
                "--trusted-root", trustedRoot.toString(),
                "--metadata-dir", tmp.resolve("tufjs-metadata").toString(),
                "--target-dir", tmp.resolve("tufjs-targets").toString()));
        for (String t : targets) {
            cmd.add("--target");
            cmd.add(t);
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("tuf-js finished").isTrue();
        JsonNode result = CanonicalJson.parse(out);
        assertThat(result.path("ok").asBoolean()).as("tuf-js result %s", result).isTrue();
        return result;
    }

    private static byte[] downloaded(JsonNode result, String name) throws IOException {
        for (JsonNode d : result.get("downloaded")) {
            if (d.get("name").textValue().equals(name)) {
                return Files.readAllBytes(Path.of(d.get("path").textValue()));
            }
        }
        throw new AssertionError("tuf-js did not download " + name + ": " + result);
    }

    @Test
    void tufJsUpdatesThroughRootRotationAndDelegationAndDownloadsTargets() throws Exception {
        RepoFixture fx = new RepoFixture(tmp.resolve("repo"));
        Files.createDirectories(fx.dir);
        byte[] first = "first image".getBytes(StandardCharsets.UTF_8);
        byte[] delegated = "delegated board image".getBytes(StandardCharsets.UTF_8);
        KeySigner boardKey = TestKeys.signer(KeyType.ECDSA_P256);
        fx.repo.delegate("targets", "board-a", TestKeys.roleKeys(1, boardKey), List.of("boards/a/*"), true);
        fx.addTarget("targets", "fw/first-1.0.bin", first, "1.0");
        fx.publish(boardKey);

        try (DirectoryServer server = new DirectoryServer(fx.dir)) {
            Path trusted = fx.dir.resolve("1.root.json");
            JsonNode r1 = runTufJs(server, trusted, "fw/first-1.0.bin");
            assertThat(r1.get("rootVersion").asInt()).isEqualTo(1);
            assertThat(downloaded(r1, "fw/first-1.0.bin")).isEqualTo(first);

            KeySigner newRoot1 = TestKeys.signer(KeyType.RSA);
            KeySigner newRoot2 = TestKeys.ed25519();
            KeySigner newTimestamp = TestKeys.signer(KeyType.ECDSA_P256);
            fx.repo.rotateRoot(fx.repo.topLevelKeys().with("root", TestKeys.roleKeys(2, newRoot1, newRoot2))
                    .with("timestamp", TestKeys.roleKeys(1, newTimestamp)));
            fx.repo.sign("root", fx.rootSigners.get(0), fx.rootSigners.get(2), newRoot1, newRoot2);
            fx.timestampSigner = newTimestamp;
            fx.addTarget("board-a", "boards/a/app-2.0.bin", delegated, "2.0");
            fx.publish(boardKey);

            JsonNode r2 = runTufJs(server, trusted, "boards/a/app-2.0.bin", "fw/first-1.0.bin");
            assertThat(r2.get("rootVersion").asInt()).isEqualTo(2);
            assertThat(r2.get("timestampVersion").asInt()).isEqualTo(2);
            assertThat(r2.get("snapshotVersion").asInt()).isEqualTo(2);
            assertThat(downloaded(r2, "boards/a/app-2.0.bin")).isEqualTo(delegated);
            assertThat(downloaded(r2, "fw/first-1.0.bin")).isEqualTo(first);
        }
    }

    @Test
    void tufJsFindsTargetsInSuccinctHashBins() throws Exception {
        RepoFixture fx = new RepoFixture(tmp.resolve("repo"));
        Files.createDirectories(fx.dir);
        KeySigner binKey = TestKeys.ed25519();
        fx.repo.delegateHashBins("targets", "bins", 4, TestKeys.roleKeys(1, binKey));
        var bins = fx.repo.targets("targets").signed().delegations().succinctRoles();
        List<String> names = List.of("images/a.bin", "images/b.bin", "images/c.bin");
        for (String name : names) {
            fx.addTarget(bins.roleForTarget(name), name, name.getBytes(StandardCharsets.UTF_8), "1.0");
        }
        fx.publish(binKey);

        try (DirectoryServer server = new DirectoryServer(fx.dir)) {
            JsonNode r = runTufJs(server, fx.dir.resolve("1.root.json"), names.toArray(String[]::new));
            for (String name : names) {
                assertThat(downloaded(r, name)).isEqualTo(name.getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
