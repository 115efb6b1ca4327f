package dev.flotilla.cli.keys;

import dev.flotilla.cli.CliRun;
import dev.flotilla.core.keys.KeyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class KeysGenerateCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "ecdsa-p256", "rsa"})
    void generatesPrivateKeyWithMode0600AndPublicKeyJson(String type) throws Exception {
        CliRun run = CliRun.of("keys", "generate", "--type", type, "--out", dir.resolve("keys"), "--name", "release");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Path pem = dir.resolve("keys/release.pem");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pem))).isEqualTo("rw-------");
        String keyId = KeyFiles.loadSigner(pem).keyId();
        assertThat(KeyFiles.loadPublicKey(dir.resolve("keys/release.pub.json")).keyId()).isEqualTo(keyId);
        assertThat(run.out()).contains("key id:      " + keyId);
    }

    @Test
    void defaultNameIsTheKeyType() {
        assertThat(CliRun.of("keys", "generate", "--type", "ecdsa-p256", "--out", dir).exitCode()).isZero();
        assertThat(dir.resolve("ecdsa-p256.pem")).exists();
        assertThat(dir.resolve("ecdsa-p256.pub.json")).exists();
    }

    @Test
    void refusesUnknownTypeAndExistingFilesWithOneLineError() throws Exception {
        CliRun bad = CliRun.of("keys", "generate", "--type", "dsa", "--out", dir);
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).isEqualTo("flotilla: error: unknown key type 'dsa' (use ed25519, ecdsa-p256 or rsa)"
                + System.lineSeparator());

        assertThat(CliRun.of("keys", "generate", "--type", "ed25519", "--out", dir, "--name", "k").exitCode()).isZero();
        String before = Files.readString(dir.resolve("k.pem"));
        CliRun again = CliRun.of("keys", "generate", "--type", "ed25519", "--out", dir, "--name", "k");
        assertThat(again.exitCode()).isNotZero();
        assertThat(again.err()).startsWith("flotilla: error: " + dir.resolve("k.pem") + ": already exists")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("k.pem")).hasContent(before);
    }
}
