package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Map;

/** The {@code signed} part of a metadata file: one of the four top-level role types. */
public sealed interface Signed permits Root, Timestamp, Snapshot, Targets {
    String SPEC_VERSION = "1.0.31";

    /** {@code root}, {@code timestamp}, {@code snapshot} or {@code targets}. */
    String type();

    String specVersion();

    long version();

    Instant expires();

    Map<String, JsonNode> unrecognized();

    /** The {@code signed} object as Flotilla would write it (unknown fields kept). */
    ObjectNode toJson();

    default boolean isExpired(Instant now) {
        return !now.isBefore(expires());
    }

    /** Parses a {@code signed} object of any type, dispatching on {@code _type}. */
    static Signed fromJson(ObjectNode node) {
        String type = Json.string(node, "_type");
        String spec = Json.string(node, "spec_version");
        checkSpecVersion(spec);
        return switch (type) {
            case "root" -> Root.fromJson(node);
            case "timestamp" -> Timestamp.fromJson(node);
            case "snapshot" -> Snapshot.fromJson(node);
            case "targets" -> Targets.fromJson(node);
            default -> throw Json.malformed("unknown _type '" + type + "'");
        };
    }

    /** Accepts any 1.x spec version (the spec's rule for clients of major version 1). */
    private static void checkSpecVersion(String spec) {
        String[] parts = spec.split("\\.");
        if (parts.length < 2 || parts.length > 3 || !"1".equals(parts[0])) {
            throw Json.malformed("unsupported spec_version '" + spec + "'");
        }
    }

    /** Writes the common header fields. */
    static ObjectNode header(String type, String specVersion, long version, Instant expires) {
        ObjectNode o = Json.F.objectNode();
        o.put("_type", type);
        o.put("spec_version", specVersion);
        o.put("version", version);
        o.put("expires", Json.formatInstant(expires));
        return o;
    }
}
