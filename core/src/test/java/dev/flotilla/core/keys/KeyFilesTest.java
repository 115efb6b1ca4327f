package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Key;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyFilesTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void generatedKeyFilesLoadBackAsSignerAndPublicKey(KeyType type) throws Exception {
        KeyFiles.GeneratedKey g = KeyFiles.generate(type, dir, "release");

        assertThat(g.privateKeyFile()).isEqualTo(dir.resolve("release.pem"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(g.privateKeyFile()))).isEqualTo("rw-------");
        String pem = Files.readString(g.privateKeyFile());
        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----").contains("-----BEGIN PUBLIC KEY-----");
        assertThat(CanonicalJson.parse(Files.readAllBytes(g.publicKeyFile()))).isEqualTo(g.key().toJson());

        KeySigner signer = KeyFiles.loadSigner(g.privateKeyFile());
        Key fromJson = KeyFiles.loadPublicKey(g.publicKeyFile());
        Key fromPrivate = KeyFiles.loadPublicKey(g.privateKeyFile());
        assertThat(fromJson).isEqualTo(g.key());
        assertThat(fromPrivate).isEqualTo(g.key());
        assertThat(signer.keyId()).isEqualTo(g.key().keyId());
        assertThat(signer.type()).isEqualTo(type);
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        assertThat(fromJson.verify(signer.sign(data), data)).isTrue();
    }

    @Test
    void generateRefusesToOverwriteAndLeavesExistingFilesAlone() throws Exception {
        Files.writeString(dir.resolve("k.pub.json"), "keep me");
        assertThatThrownBy(() -> KeyFiles.generate(KeyType.ED25519, dir, "k")).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(dir.resolve("k.pem")).doesNotExist();
        assertThat(dir.resolve("k.pub.json")).hasContent("keep me");
    }

    @Test
    void loadingGarbageNamesTheFile() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
                + "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> KeyFiles.loadSigner(garbage)).isInstanceOf(KeyFormatException.class)
                .hasMessageStartingWith(garbage.toString());
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        assertThatThrownBy(() -> KeyFiles.loadSigner(text)).isInstanceOf(KeyFormatException.class)
                .hasMessageStartingWith(text + ": not a private key file");
        assertThatThrownBy(() -> KeyFiles.loadPublicKey(text)).isInstanceOf(KeyFormatException.class)
                .hasMessageStartingWith(text + ": not a public key file");
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> KeyFiles.loadSigner(missing)).isInstanceOf(KeyFormatException.class)
                .hasMessage(missing + ": cannot read key file: no such file");
        Path binary = Files.write(dir.resolve("bin.pem"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertThatThrownBy(() -> KeyFiles.loadPublicKey(binary)).isInstanceOf(KeyFormatException.class)
                .hasMessageStartingWith(binary.toString());
    }

    @Test
    void privateKeyFileWithSomeoneElsesPublicBlockIsRefused() throws Exception {
        KeyFiles.GeneratedKey a = KeyFiles.generate(KeyType.ECDSA_P256, dir, "a");
        KeyFiles.GeneratedKey b = KeyFiles.generate(KeyType.ECDSA_P256, dir, "b");
        String privateA = Files.readString(a.privateKeyFile()).split("(?=-----BEGIN PUBLIC KEY-----)")[0];
        String publicB = Files.readString(b.privateKeyFile()).split("(?=-----BEGIN PUBLIC KEY-----)")[1];
        Path mixed = Files.writeString(dir.resolve("mixed.pem"), privateA + publicB);
        assertThatThrownBy(() -> KeyFiles.loadSigner(mixed)).isInstanceOf(KeyFormatException.class)
                .hasMessageContaining("do not belong to the same key");
    }

    @Test
    void pemPublicKeyFileIsAccepted() throws Exception {
        KeyFiles.GeneratedKey g = KeyFiles.generate(KeyType.RSA, dir, "r");
        String publicBlock = Files.readString(g.privateKeyFile()).split("(?=-----BEGIN PUBLIC KEY-----)")[1];
        Path pub = Files.writeString(dir.resolve("r.pub.pem"), publicBlock);
        assertThat(KeyFiles.loadPublicKey(pub)).isEqualTo(g.key());
        assertThat(Signatures.verify(KeyType.RSA, g.key().publicKey(), KeyFiles.loadSigner(g.privateKeyFile())
                .sign(new byte[] {1}), new byte[] {1})).isTrue();
    }
}
