package dev.flotilla.core.tuf;

/** Something that signs metadata with one key: a key file ({@code KeySigner}) or a key on a PKCS#11 token ({@code Pkcs11Signer}). */
public interface Signer {
    /** The public key, as it appears in root or delegations. */
    Key publicKey();

    /** The key id used in signature entries. */
    default String keyId() {
        return publicKey().keyId();
    }

    /** Signs the canonical bytes of a {@code signed} object. */
    byte[] sign(byte[] data);
}
