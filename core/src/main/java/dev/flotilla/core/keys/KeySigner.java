package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;

import java.security.PrivateKey;
import java.util.Objects;

/**
 * A {@link Signer} backed by a private key held in memory (loaded from a key file by {@link KeyFiles}).
 * The private key is never exposed; {@link #toString()} shows only the key id.
 */
public final class KeySigner implements Signer {
    private final KeyType type;
    private final PrivateKey privateKey;
    private final Key publicKey;
    private final String keyId;

    public KeySigner(KeyType type, PrivateKey privateKey, Key publicKey) {
        this.type = Objects.requireNonNull(type);
        this.privateKey = Objects.requireNonNull(privateKey);
        this.publicKey = Objects.requireNonNull(publicKey);
        this.keyId = publicKey.keyId();
    }

    public KeyType type() {
        return type;
    }

    @Override
    public Key publicKey() {
        return publicKey;
    }

    @Override
    public String keyId() {
        return keyId;
    }

    @Override
    public byte[] sign(byte[] data) {
        return Signatures.sign(type, privateKey, data);
    }

    @Override
    public String toString() {
        return "KeySigner[" + type + " " + keyId + "]";
    }
}
