package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.firmware.Version;
import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which devices a rollout is for. Every criterion given must hold (and); within {@code groups}, {@code tags}
 * and {@code devices} any one listed is enough (or). Only active devices of hardware the release runs on are
 * ever selected; {@code hardwareId} narrows that to one of them.
 * <pre>{@code
 * {"hardwareId": "board-a", "groups": ["lab"], "tags": ["beta"], "devices": ["dev_..."],
 *  "installedVersion": {"atLeast": "1.2.0", "below": "2.0.0"}, "attributes": {"region": "eu"},
 *  "mode": "dynamic"}
 * }</pre>
 *
 * @param installedVersion the version the device's latest signed manifest reports ({@code installedVersion});
 *                         a device that reported none does not match a range
 * @param attributes       each must equal the device's attribute of that name (compared as text)
 * @param mode             {@code static}: the members when the rollout starts, frozen; {@code dynamic}
 *                         (default): devices that match later join, each in its own stage
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Selection(String hardwareId, List<String> groups, List<String> tags, List<String> devices,
                        VersionRange installedVersion, Map<String, String> attributes, String mode) {
    private static final String CODE = "invalid_selection";
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String STATIC = "static";
    public static final String DYNAMIC = "dynamic";
    /** How many device ids one query of {@link #members(Handle, List, java.util.Collection)} names. */
    static final int AMONG_BATCH = 1_000;

    /** {@code atLeast} inclusive, {@code below} exclusive; either may be absent. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VersionRange(String atLeast, String below) {
        boolean contains(String version) {
            if (version == null) {
                return false;
            }
            Version v;
            try {
                v = Version.parse(version);
            } catch (IllegalArgumentException e) {
                return false;
            }
            return (atLeast == null || v.compareTo(Version.parse(atLeast)) >= 0)
                    && (below == null || v.compareTo(Version.parse(below)) < 0);
        }
    }

    /** A device that matches, with what its latest manifest says it runs (null when it sent none). */
    public record Member(String id, String hardwareId, String installedTarget, String installedVersion,
                         Long securityVersion) {
    }

    public boolean dynamic() {
        return !STATIC.equals(mode);
    }

    /** The selection of a deployment (one device, a group or a tag). */
    public static Selection of(String deviceId, String group, String tag) {
        return new Selection(null, group == null ? List.of() : List.of(group), tag == null ? List.of() : List.of(tag),
                deviceId == null ? List.of() : List.of(deviceId), null, Map.of(), deviceId == null ? DYNAMIC : STATIC);
    }

    /**
     * Reads and validates a selection.
     *
     * @throws DomainError.Invalid {@code invalid_selection}, naming the field
     */
    public static Selection parse(JsonNode json) {
        Fields f = Fields.of(json, "selection", CODE,
                Set.of("hardwareId", "groups", "tags", "devices", "installedVersion", "attributes", "mode"));
        String mode = f.string("mode").orElse(DYNAMIC);
        if (!mode.equals(STATIC) && !mode.equals(DYNAMIC)) {
            throw f.invalid("mode", "must be 'static' or 'dynamic', got '" + mode + "'");
        }
        VersionRange range = null;
        if (f.has("installedVersion")) {
            Fields r = Fields.of(f.get("installedVersion"), f.at("installedVersion"), CODE, Set.of("atLeast", "below"));
            range = new VersionRange(version(r, "atLeast"), version(r, "below"));
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        if (f.has("attributes")) {
            Fields a = Fields.of(f.get("attributes"), f.at("attributes"), CODE, names(f.get("attributes")));
            for (Iterator<Map.Entry<String, JsonNode>> it = a.node().fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw a.invalid(e.getKey(), "must be a string, number or boolean");
                }
                attributes.put(e.getKey(), e.getValue().asText());
            }
        }
        return new Selection(f.string("hardwareId").orElse(null), f.strings("groups", 100), f.strings("tags", 100),
                f.strings("devices", 10_000), range, attributes, mode);
    }

    private static String version(Fields r, String field) {
        return r.string(field).map(v -> {
            try {
                Version.parse(v);
                return v;
            } catch (IllegalArgumentException e) {
                throw r.invalid(field, "is not a version: " + e.getMessage());
            }
        }).orElse(null);
    }

    private static Set<String> names(JsonNode node) {
        Set<String> out = new java.util.HashSet<>();
        if (node != null) {
            node.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    /**
     * The active devices that match now, of the given hardware (the release's hardware ids, already narrowed
     * to {@code hardwareId}; null: any hardware, as a deployment to a group names its members), in id order.
     */
    public List<Member> members(Handle h, List<String> hardware) {
        return members(h, hardware, null);
    }

    /**
     * {@link #members(Handle, List)} among the given devices only (null: every device), read {@value #AMONG_BATCH}
     * ids a query; in id order within each batch.
     */
    List<Member> members(Handle h, List<String> hardware, java.util.Collection<String> among) {
        if (among == null) {
            return membersAmong(h, hardware, null);
        }
        List<String> ids = List.copyOf(among);
        List<Member> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += AMONG_BATCH) {
            out.addAll(membersAmong(h, hardware, ids.subList(i, Math.min(ids.size(), i + AMONG_BATCH))));
        }
        return out;
    }

    private List<Member> membersAmong(Handle h, List<String> hardware, List<String> among) {
        StringBuilder sql = new StringBuilder("""
                SELECT d.id, d.hardware_id, d.attributes, m.manifest_json FROM devices d
                LEFT JOIN device_manifests m ON m.device_id = d.id
                WHERE d.status = 'active'""");
        if (hardware != null) {
            sql.append(" AND d.hardware_id IN (<hw>)");
        }
        if (!groups.isEmpty()) {
            sql.append(" AND d.device_group IN (<groups>)");
        }
        if (!tags.isEmpty()) {
            sql.append(" AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag IN (<tags>))");
        }
        if (!devices.isEmpty()) {
            sql.append(" AND d.id IN (<devices>)");
        }
        if (among != null) {
            sql.append(" AND d.id IN (<among>)");
        }
        var q = h.createQuery(sql + " ORDER BY d.id");
        if (hardware != null) {
            q.bindList("hw", hardware);
        }
        if (!groups.isEmpty()) {
            q.bindList("groups", groups);
        }
        if (!tags.isEmpty()) {
            q.bindList("tags", tags);
        }
        if (!devices.isEmpty()) {
            q.bindList("devices", devices);
        }
        if (among != null) {
            if (among.isEmpty()) {
                return List.of();
            }
            q.bindList("among", among);
        }
        List<Member> out = new ArrayList<>();
        q.map((rs, ctx) -> {
            JsonNode attrs = read(rs.getString(3));
            JsonNode manifest = read(rs.getString(4));
            if (attributesMatch(attrs)) {
                Member m = new Member(rs.getString(1), rs.getString(2), text(manifest, "installedTarget"),
                        text(manifest, "installedVersion"),
                        manifest.path("securityVersion").canConvertToLong() && manifest.has("securityVersion")
                                ? manifest.path("securityVersion").longValue() : null);
                if (installedVersion == null || installedVersion.contains(m.installedVersion())) {
                    out.add(m);
                }
            }
            return 0;
        }).list();
        return out;
    }

    private boolean attributesMatch(JsonNode attrs) {
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            JsonNode v = attrs.get(e.getKey());
            if (v == null || !v.isValueNode() || !v.asText().equals(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) && n.get(field).isTextual() ? n.get(field).textValue() : null;
    }

    static JsonNode read(String json) {
        if (json == null) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }
}
