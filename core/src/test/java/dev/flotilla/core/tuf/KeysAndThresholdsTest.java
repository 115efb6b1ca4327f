package dev.flotilla.core.tuf;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeysAndThresholdsTest {
    static final Path SIGSTORE = Path.of("src", "test", "resources", "fixtures", "tuf", "sigstore-root-signing", "metadata");

    record TestSigner(Key publicKey, KeyPair kp) implements Signer {
        static TestSigner ed25519() throws Exception {
            KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new TestSigner(Key.of(KeyType.ED25519, kp.getPublic()), kp);
        }

        @Override
        public byte[] sign(byte[] data) {
            return Signatures.sign(KeyType.ED25519, kp.getPrivate(), data);
        }
    }

    @Test
    void keyIdsAreTheSha256OfCanonicalKeyJsonAsOtherImplementationsComputeThem() throws Exception {
        Path root = SIGSTORE.resolve("root_history/15.root.json");
        assertThat(root).as("the Sigstore fixture in core/src/test/resources").exists();
        Metadata<Root> md = Metadata.fromBytes(Files.readAllBytes(root), Root.class);
        assertThat(md.signed().keys()).hasSize(6);
        md.signed().keys().forEach((id, key) -> assertThat(key.keyId()).isEqualTo(id));
    }

    @Test
    void everySigstoreRootIsSignedByItsOwnThresholdDespiteForeignAndEmptySignatures() throws Exception {
        for (int v = 1; v <= 15; v++) {
            Metadata<Root> md = Metadata.fromBytes(Files.readAllBytes(SIGSTORE.resolve("root_history/" + v + ".root.json")),
                    Root.class);
            Metadata.verifyThreshold("root", md.signed().role("root"), md.signed().keys(), md);
            assertThat(md.signed().version()).isEqualTo(v);
        }
    }

    @Test
    void unknownFieldsSurviveParsingAndReserialising() throws Exception {
        byte[] bytes = Files.readAllBytes(SIGSTORE.resolve("root_history/11.root.json"));
        Metadata<Root> md = Metadata.fromBytes(bytes, Root.class);
        Metadata<Root> rebuilt = Metadata.of(md.signed()).withSignatures(md.signatures());
        assertThat(rebuilt.signedBytes()).isEqualTo(md.signedBytes());
        Metadata.verifyThreshold("root", md.signed().role("root"), md.signed().keys(), rebuilt);
    }

    @Test
    void thresholdCountsEachKeyOnceEvenUnderTwoKeyIds() throws Exception {
        TestSigner a = TestSigner.ed25519();
        // the same key material listed under a second key id (with an extra field so the id differs)
        Key alias = new Key(a.publicKey().keytype(), a.publicKey().scheme(), a.publicKey().publicValue(), Map.of(),
                Map.of("x-alias", com.fasterxml.jackson.databind.node.TextNode.valueOf("1")));
        Role role = new Role(List.of(a.keyId(), alias.keyId()), 2);
        Map<String, Key> keys = Map.of(a.keyId(), a.publicKey(), alias.keyId(), alias);
        Metadata<Timestamp> md = Metadata.of(new Timestamp(Signed.SPEC_VERSION, 1, Instant.parse("2030-01-01T00:00:00Z"),
                new MetaFile(1), Map.of())).sign(a);
        byte[] sig = a.sign(md.signedBytes());
        Metadata<Timestamp> twice = md.withSignatures(List.of(md.signatures().get(0),
                new Signature(alias.keyId(), dev.flotilla.core.crypto.Hex.encode(sig))));
        assertThatThrownBy(() -> Metadata.verifyThreshold("timestamp", role, keys, twice))
                .isInstanceOf(RepositoryError.class)
                .satisfies(e -> assertThat(((RepositoryError) e).reason()).isEqualTo(RepositoryError.Reason.UNSIGNED))
                .hasMessageContaining("1 valid signature(s) of the 2 required");
    }

    @Test
    void aSignaturesListNamingOneKeyIdTwiceIsRefusedEvenWhenTheThresholdIsMet() throws Exception {
        TestSigner a = TestSigner.ed25519();
        TestSigner b = TestSigner.ed25519();
        Role role = new Role(List.of(a.keyId(), b.keyId()), 2);
        Map<String, Key> keys = Map.of(a.keyId(), a.publicKey(), b.keyId(), b.publicKey());
        Metadata<Timestamp> md = Metadata.of(new Timestamp(Signed.SPEC_VERSION, 1, Instant.parse("2030-01-01T00:00:00Z"),
                new MetaFile(1), Map.of())).sign(a);
        Metadata<Timestamp> dup = md.withSignatures(List.of(md.signatures().get(0), md.signatures().get(0)));
        assertThatThrownBy(() -> Metadata.verifyThreshold("timestamp", role, keys, dup))
                .isInstanceOf(RepositoryError.class)
                .satisfies(e -> assertThat(((RepositoryError) e).reason()).isEqualTo(RepositoryError.Reason.MALFORMED))
                .hasMessageContaining("more than once");
        Role one = new Role(List.of(a.keyId(), b.keyId()), 1);
        assertThatThrownBy(() -> Metadata.verifyThreshold("timestamp", one, keys, dup))
                .hasMessageContaining("more than once");
        assertThatThrownBy(() -> Metadata.fromBytes(dup.toBytes()))
                .hasMessageContaining("MALFORMED: the signatures list key id " + a.keyId() + " more than once");
        Metadata.verifyThreshold("timestamp", one, keys, md);
        Metadata.verifyThreshold("timestamp", role, keys, md.sign(b));
    }

    @Test
    void metadataWithWrongTypeOrMissingFieldsIsMalformed() {
        assertThatThrownBy(() -> Metadata.fromBytes("{\"signed\":{\"_type\":\"timestamp\"},\"signatures\":[]}"
                .getBytes(), Root.class)).isInstanceOf(RepositoryError.class).hasMessageContaining("MALFORMED");
        assertThatThrownBy(() -> Metadata.fromBytes("[]".getBytes())).isInstanceOf(RepositoryError.class);
        assertThatThrownBy(() -> Metadata.fromBytes("{\"signed\":{},\"signatures\":[] ".getBytes()))
                .isInstanceOf(RepositoryError.class).hasMessageContaining("malformed JSON");
    }
}
