package dev.flotilla.core.tuf;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A remembered signature answers only for the same key, signature and bytes; invalid ones are never kept. */
class SignatureMemoTest {
    private static final byte[] DATA = "{\"signed\":1}".getBytes(StandardCharsets.UTF_8);

    @Test
    void remembersOnlyValidSignaturesAndAnswersNothingElseFromThem() throws Exception {
        KeysAndThresholdsTest.TestSigner signer = KeysAndThresholdsTest.TestSigner.ed25519();
        KeysAndThresholdsTest.TestSigner other = KeysAndThresholdsTest.TestSigner.ed25519();
        byte[] sig = signer.sign(DATA);
        SignatureMemo memo = new SignatureMemo(8);

        assertThat(memo.verifies(signer.publicKey(), sig, DATA)).isTrue();
        assertThat(memo.verifies(signer.publicKey(), sig, DATA)).isTrue();
        assertThat(memo.size()).as("one valid signature, remembered once").isEqualTo(1);

        byte[] changed = "{\"signed\":2}".getBytes(StandardCharsets.UTF_8);
        byte[] flipped = sig.clone();
        flipped[0] ^= 1;
        assertThat(memo.verifies(signer.publicKey(), sig, changed)).as("other bytes").isFalse();
        assertThat(memo.verifies(other.publicKey(), sig, DATA)).as("another key").isFalse();
        assertThat(memo.verifies(signer.publicKey(), flipped, DATA)).as("another signature").isFalse();
        assertThat(memo.verifies(signer.publicKey(), flipped, DATA)).as("still, the second time").isFalse();
        assertThat(memo.size()).as("invalid signatures are not kept").isEqualTo(1);
    }

    @Test
    void keepsTheMostRecentValidSignaturesUpToItsCapacity() throws Exception {
        KeysAndThresholdsTest.TestSigner signer = KeysAndThresholdsTest.TestSigner.ed25519();
        SignatureMemo memo = new SignatureMemo(2);
        for (int i = 0; i < 5; i++) {
            byte[] data = ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            assertThat(memo.verifies(signer.publicKey(), signer.sign(data), data)).isTrue();
        }
        assertThat(memo.size()).isEqualTo(2);
        assertThat(SignatureMemo.NONE.verifies(signer.publicKey(), signer.sign(DATA), DATA)).isTrue();
        assertThat(SignatureMemo.NONE.size()).isZero();
    }
}
