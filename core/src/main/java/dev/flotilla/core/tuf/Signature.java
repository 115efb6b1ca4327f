package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One entry of a metadata file's {@code signatures} list: key id and hex signature. */
public record Signature(String keyid, String sig, Map<String, JsonNode> unrecognized) {
    public Signature {
        unrecognized = Map.copyOf(unrecognized);
    }

    public Signature(String keyid, String sig) {
        this(keyid, sig, Map.of());
    }

    /**
     * Parses a {@code signatures} array.
     *
     * @throws RepositoryError MALFORMED when it is not an array of signature objects or lists a key id twice
     */
    public static List<Signature> listFromJson(JsonNode node) {
        if (node == null || !node.isArray()) {
            throw Json.malformed("'signatures' must be an array");
        }
        List<Signature> out = new ArrayList<>();
        for (JsonNode s : node) {
            out.add(fromJson(s));
        }
        requireUniqueKeyIds(out);
        return out;
    }

    /**
     * Refuses a signatures list that names a key id twice (TUF: "keyid MUST be unique in the signatures
     * array").
     *
     * @throws RepositoryError MALFORMED naming the repeated key id
     */
    public static void requireUniqueKeyIds(List<Signature> signatures) {
        Set<String> seen = new HashSet<>();
        for (Signature s : signatures) {
            if (!seen.add(s.keyid())) {
                throw Json.malformed("the signatures list key id " + s.keyid() + " more than once");
            }
        }
    }

    static Signature fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "signature");
        return new Signature(Json.string(o, "keyid"), Json.string(o, "sig"),
                Json.unrecognized(o, Set.of("keyid", "sig")));
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.put("keyid", keyid);
        o.put("sig", sig);
        Json.putAll(o, unrecognized);
        return o;
    }
}
