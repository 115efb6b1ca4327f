package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A metadata file: the typed {@code signed} part, the exact {@code signed} JSON it was parsed from (what
 * signatures cover, unknown fields included), and the signatures. Immutable.
 */
public final class Metadata<T extends Signed> {
    private static final Set<String> KNOWN = Set.of("signed", "signatures");

    private final T signed;
    private final ObjectNode signedJson;
    private final List<Signature> signatures;
    private final Map<String, JsonNode> unrecognized;

    private Metadata(T signed, ObjectNode signedJson, List<Signature> signatures, Map<String, JsonNode> unrecognized) {
        this.signed = signed;
        this.signedJson = signedJson;
        this.signatures = List.copyOf(signatures);
        this.unrecognized = Map.copyOf(unrecognized);
    }

    /** New, unsigned metadata for a {@code signed} object built in code. */
    public static <T extends Signed> Metadata<T> of(T signed) {
        return new Metadata<>(signed, signed.toJson(), List.of(), Map.of());
    }

    /**
     * Parses a metadata file.
     *
     * @throws RepositoryError MALFORMED when the bytes are not metadata of the expected type
     */
    public static <T extends Signed> Metadata<T> fromBytes(byte[] bytes, Class<T> type) {
        Metadata<Signed> md = fromBytes(bytes);
        if (!type.isInstance(md.signed)) {
            throw Json.malformed("expected " + type.getSimpleName().toLowerCase(java.util.Locale.ROOT)
                    + " metadata, got " + md.signed.type());
        }
        @SuppressWarnings("unchecked")
        Metadata<T> typed = (Metadata<T>) md;
        return typed;
    }

    /** Parses a metadata file of any type. */
    public static Metadata<Signed> fromBytes(byte[] bytes) {
        ObjectNode root;
        try {
            root = CanonicalJson.parseObject(bytes);
        } catch (JsonFormatException e) {
            throw new RepositoryError(RepositoryError.Reason.MALFORMED, e.getMessage(), e);
        }
        ObjectNode signedJson = Json.object(root, "signed");
        List<Signature> signatures = Signature.listFromJson(root.get("signatures"));
        Signed signed = Signed.fromJson(signedJson);
        return new Metadata<>(signed, signedJson, signatures, Json.unrecognized(root, KNOWN));
    }

    public T signed() {
        return signed;
    }

    public List<Signature> signatures() {
        return signatures;
    }

    /** The canonical bytes that signatures cover. */
    public byte[] signedBytes() {
        try {
            return CanonicalJson.encode(signedJson);
        } catch (JsonFormatException e) {
            throw new RepositoryError(RepositoryError.Reason.MALFORMED, "signed part is not canonicalizable: "
                    + e.getMessage(), e);
        }
    }

    /** A copy with one more signature (replacing an earlier one by the same key). */
    public Metadata<T> sign(Signer signer) {
        byte[] sig = signer.sign(signedBytes());
        List<Signature> next = new ArrayList<>();
        for (Signature s : signatures) {
            if (!s.keyid().equals(signer.keyId())) {
                next.add(s);
            }
        }
        next.add(new Signature(signer.keyId(), Hex.encode(sig)));
        return new Metadata<>(signed, signedJson, next, unrecognized);
    }

    /** A copy without signatures (for re-signing after a change elsewhere). */
    public Metadata<T> withoutSignatures() {
        return new Metadata<>(signed, signedJson, List.of(), unrecognized);
    }

    /** A copy with the given signature list (for assembling signatures collected separately). */
    public Metadata<T> withSignatures(List<Signature> sigs) {
        return new Metadata<>(signed, signedJson, sigs, unrecognized);
    }

    /**
     * The file bytes: canonical JSON of the whole envelope, except that control characters in strings (the
     * line breaks of PEM keys) are escaped so that the file is valid JSON; deterministic.
     */
    public byte[] toBytes() {
        ObjectNode o = Json.F.objectNode();
        ArrayNode sigs = o.putArray("signatures");
        signatures.forEach(s -> sigs.add(s.toJson()));
        o.set("signed", signedJson.deepCopy());
        Json.putAll(o, unrecognized);
        return CanonicalJson.encodeValid(o);
    }

    /**
     * Checks that {@code delegate} carries at least {@code role.threshold()} valid signatures by distinct keys
     * among {@code role.keyids()} ({@link #validSignatures}).
     *
     * @throws RepositoryError UNSIGNED when the threshold is not met, MALFORMED when the signatures list a
     *                         key id twice
     */
    public static void verifyThreshold(String roleName, Role role, Map<String, Key> keys, Metadata<?> delegate) {
        verifyThreshold(roleName, role, keys, delegate, SignatureMemo.NONE);
    }

    /** As {@link #verifyThreshold(String, Role, Map, Metadata)}, skipping the signatures {@code memo} already found valid. */
    public static void verifyThreshold(String roleName, Role role, Map<String, Key> keys, Metadata<?> delegate,
                                       SignatureMemo memo) {
        int valid = validSignatures(role, keys, delegate.signatures, delegate.signedBytes(), memo);
        if (valid < role.threshold()) {
            throw new RepositoryError(RepositoryError.Reason.UNSIGNED, roleName + " has " + valid
                    + " valid signature(s) of the " + role.threshold() + " required");
        }
    }

    /**
     * The one threshold count of the code base (TUF metadata and director assignments): how many distinct
     * keys among {@code role.keyids()} made a valid signature over {@code data}. Each key counts once, however
     * many key ids map to the same key material ({@link Key#material()}).
     *
     * @throws RepositoryError MALFORMED when {@code signatures} list a key id twice (the TUF specification
     *                         requires key ids to be unique in a signatures array: such a file is refused, not
     *                         counted once)
     */
    public static int validSignatures(Role role, Map<String, Key> keys, List<Signature> signatures, byte[] data) {
        return validSignatures(role, keys, signatures, data, SignatureMemo.NONE);
    }

    private static int validSignatures(Role role, Map<String, Key> keys, List<Signature> signatures, byte[] data,
                                       SignatureMemo memo) {
        Signature.requireUniqueKeyIds(signatures);
        Set<String> counted = new HashSet<>();
        for (String keyid : new java.util.LinkedHashSet<>(role.keyids())) {
            Key key = keys.get(keyid);
            if (key == null || counted.contains(key.material())) {
                continue;
            }
            for (Signature s : signatures) {
                if (s.keyid().equals(keyid) && verifies(key, s.sig(), data, memo)) {
                    counted.add(key.material());
                    break;
                }
            }
        }
        return counted.size();
    }

    private static boolean verifies(Key key, String sigHex, byte[] data, SignatureMemo memo) {
        byte[] sig;
        try {
            sig = Hex.decode(sigHex);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return sig.length > 0 && memo.verifies(key, sig, data);
    }
}
