package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.PublicKeys;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;

import java.security.PublicKey;
import java.util.Map;
import java.util.Set;

/**
 * A public key as TUF metadata lists it: {@code keytype}, {@code scheme}, {@code keyval.public}, plus any
 * other fields (kept verbatim, e.g. {@code keyid_hash_algorithms}).
 */
public record Key(String keytype, String scheme, String publicValue, Map<String, JsonNode> keyvalExtra,
                  Map<String, JsonNode> unrecognized) {
    private static final Set<String> KNOWN = Set.of("keytype", "scheme", "keyval");

    public Key {
        keyvalExtra = Map.copyOf(keyvalExtra);
        unrecognized = Map.copyOf(unrecognized);
    }

    /** A key Flotilla writes: no extra fields. */
    public static Key of(KeyType type, PublicKey key) {
        return new Key(type.tufKeyType(), type.scheme(), PublicKeys.encode(type, key), Map.of(), Map.of());
    }

    public static Key fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "key");
        ObjectNode keyval = Json.object(o, "keyval");
        return new Key(Json.string(o, "keytype"), Json.string(o, "scheme"), Json.string(keyval, "public"),
                Json.unrecognized(keyval, Set.of("public")), Json.unrecognized(o, KNOWN));
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.put("keytype", keytype);
        o.put("scheme", scheme);
        ObjectNode keyval = o.putObject("keyval");
        keyval.put("public", publicValue);
        Json.putAll(keyval, keyvalExtra);
        Json.putAll(o, unrecognized);
        return o;
    }

    /** The spec's key id: hex SHA-256 of the canonical JSON of this key object. */
    public String keyId() {
        return Digests.sha256Hex(CanonicalJson.encode(toJson()));
    }

    /**
     * What identifies the key material regardless of its key id (type, scheme and public value): two key ids
     * with the same material are one key to a threshold.
     */
    public String material() {
        return keytype + ":" + scheme + ":" + publicValue.strip();
    }

    /** The key type, or throws {@link KeyFormatException} when Flotilla does not support it. */
    public KeyType type() {
        return KeyType.fromTuf(keytype, scheme);
    }

    /**
     * Decodes the public key; throws {@link KeyFormatException} when unsupported or malformed. Decoded keys
     * are cached (bounded) since the same few keys verify every refresh.
     */
    public PublicKey publicKey() {
        KeyType type = type();
        String cacheKey = type + "\n" + publicValue;
        PublicKey cached = DECODED.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        PublicKey decoded = PublicKeys.decode(type, publicValue);
        if (DECODED.size() >= DECODED_MAX) {
            DECODED.clear();
        }
        DECODED.put(cacheKey, decoded);
        return decoded;
    }

    private static final int DECODED_MAX = 1024;
    private static final java.util.concurrent.ConcurrentHashMap<String, PublicKey> DECODED =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Whether {@code signature} is this key's signature over {@code data}. An unsupported or malformed key
     * verifies nothing (it simply does not count towards a threshold).
     */
    public boolean verify(byte[] signature, byte[] data) {
        try {
            return Signatures.verify(type(), publicKey(), signature, data);
        } catch (KeyFormatException e) {
            return false;
        }
    }
}
