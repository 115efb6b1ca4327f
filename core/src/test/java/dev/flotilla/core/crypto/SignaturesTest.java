package dev.flotilla.core.crypto;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SignaturesTest {
    private static final byte[] DATA = "{\"signed\":true}".getBytes(StandardCharsets.UTF_8);

    static KeyPair generate(KeyType type) throws Exception {
        return switch (type) {
            case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            case ECDSA_P256 -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                yield g.generateKeyPair();
            }
            case RSA -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                yield g.generateKeyPair();
            }
        };
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void signatureVerifiesThroughTheEncodedPublicKey(KeyType type) throws Exception {
        KeyPair kp = generate(type);
        String encoded = PublicKeys.encode(type, kp.getPublic());
        byte[] sig = Signatures.sign(type, kp.getPrivate(), DATA);
        assertThat(Signatures.verify(type, PublicKeys.decode(type, encoded), sig, DATA)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void changedDataOrSignatureOrKeyIsRefused(KeyType type) throws Exception {
        KeyPair kp = generate(type);
        KeyPair other = generate(type);
        byte[] sig = Signatures.sign(type, kp.getPrivate(), DATA);
        byte[] changed = DATA.clone();
        changed[3] ^= 1;
        byte[] badSig = sig.clone();
        badSig[badSig.length / 2] ^= 1;
        assertThat(Signatures.verify(type, kp.getPublic(), sig, changed)).isFalse();
        assertThat(Signatures.verify(type, kp.getPublic(), badSig, DATA)).isFalse();
        assertThat(Signatures.verify(type, other.getPublic(), sig, DATA)).isFalse();
        assertThat(Signatures.verify(type, kp.getPublic(), new byte[0], DATA)).isFalse();
        assertThat(Signatures.verify(type, kp.getPublic(), Arrays.copyOf(sig, 3), DATA)).isFalse();
    }

    @Test
    void ed25519PublicKeyIsThirtyTwoBytesOfHex() throws Exception {
        KeyPair kp = generate(KeyType.ED25519);
        assertThat(PublicKeys.encode(KeyType.ED25519, kp.getPublic())).hasSize(64).matches("[0-9a-f]+");
        assertThatThrownBy(() -> PublicKeys.decode(KeyType.ED25519, "abcd")).isInstanceOf(KeyFormatException.class)
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> PublicKeys.decode(KeyType.ED25519, "zz")).isInstanceOf(KeyFormatException.class);
    }

    @Test
    void ecdsaKeyDecodesFromHexUncompressedPointAsWellAsPem() throws Exception {
        KeyPair kp = generate(KeyType.ECDSA_P256);
        byte[] der = kp.getPublic().getEncoded();
        String hexPoint = Hex.encode(Arrays.copyOfRange(der, der.length - 65, der.length));
        byte[] sig = Signatures.sign(KeyType.ECDSA_P256, kp.getPrivate(), DATA);
        assertThat(Signatures.verify(KeyType.ECDSA_P256, PublicKeys.decode(KeyType.ECDSA_P256, hexPoint), sig, DATA))
                .isTrue();
        assertThatThrownBy(() -> PublicKeys.decode(KeyType.ECDSA_P256, "04" + "00".repeat(10)))
                .isInstanceOf(KeyFormatException.class);
    }

    @Test
    void rsaPssWithMaximumSaltIsAcceptedToo() throws Exception {
        // signers using PSS.AUTO / MAX_LENGTH (e.g. some securesystemslib versions) use the largest salt
        KeyPair kp = generate(KeyType.RSA);
        Signature s = Signature.getInstance("RSASSA-PSS");
        s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 256 - 32 - 2, 1));
        s.initSign(kp.getPrivate());
        s.update(DATA);
        assertThat(Signatures.verify(KeyType.RSA, kp.getPublic(), s.sign(), DATA)).isTrue();
    }

    @Test
    void keyTypesMapToTufNames() {
        assertThat(KeyType.fromTuf("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256")).isEqualTo(KeyType.ECDSA_P256);
        assertThat(KeyType.fromTuf("ecdsa", "ecdsa-sha2-nistp256")).isEqualTo(KeyType.ECDSA_P256);
        assertThat(KeyType.fromTuf("rsa", "rsassa-pss-sha256")).isEqualTo(KeyType.RSA);
        assertThatThrownBy(() -> KeyType.fromTuf("rsa", "rsa-pkcs1v15-sha256")).isInstanceOf(KeyFormatException.class);
        assertThat(KeyType.fromCliName("ecdsa-p256")).isEqualTo(KeyType.ECDSA_P256);
        assertThatThrownBy(() -> KeyType.fromCliName("dsa")).hasMessageContaining("unknown key type");
    }
}
