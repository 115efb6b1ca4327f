package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
