package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A delegation to a targets role: its keys and threshold, whether it is terminating, and which target
 * paths it is trusted for ({@code paths} glob patterns or {@code path_hash_prefixes}; exactly one).
 */
public record DelegatedRole(String name, List<String> keyids, int threshold, boolean terminating,
                            List<String> paths, List<String> pathHashPrefixes, Map<String, JsonNode> unrecognized) {
    private static final Set<String> KNOWN = Set.of("name", "keyids", "threshold", "terminating", "paths",
            "path_hash_prefixes");

    public DelegatedRole {
        keyids = List.copyOf(keyids);
        paths = paths == null ? null : List.copyOf(paths);
        pathHashPrefixes = pathHashPrefixes == null ? null : List.copyOf(pathHashPrefixes);
        unrecognized = Map.copyOf(unrecognized);
        if ((paths == null) == (pathHashPrefixes == null)) {
            throw Json.malformed("delegated role '" + name + "' needs exactly one of paths, path_hash_prefixes");
        }
        if (threshold < 1) {
            throw Json.malformed("threshold must be >= 1");
        }
        if (Root.TOP_LEVEL_ROLES.contains(name)) {
            throw Json.malformed("delegated role may not be named '" + name + "'");
        }
    }

    public static DelegatedRole withPaths(String name, List<String> keyids, int threshold, boolean terminating,
                                          List<String> paths) {
        return new DelegatedRole(name, keyids, threshold, terminating, paths, null, Map.of());
    }

    public Role asRole() {
        return new Role(keyids, threshold);
    }

    static DelegatedRole fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "delegated role");
        return new DelegatedRole(Json.string(o, "name"), Role.keyids(o), (int) Json.positive(o, "threshold"),
                Json.bool(o, "terminating"), strings(o, "paths"), strings(o, "path_hash_prefixes"),
                Json.unrecognized(o, KNOWN));
    }

    private static List<String> strings(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null) {
            return null;
        }
        if (!n.isArray()) {
            throw Json.malformed("'" + field + "' must be an array");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : n) {
            if (!s.isTextual()) {
                throw Json.malformed("'" + field + "' entries must be strings");
            }
            out.add(s.textValue());
        }
        return out;
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.put("name", name);
        ArrayNode ids = o.putArray("keyids");
        keyids.forEach(ids::add);
        o.put("threshold", threshold);
        o.put("terminating", terminating);
        if (paths != null) {
            ArrayNode p = o.putArray("paths");
            paths.forEach(p::add);
        } else {
            ArrayNode p = o.putArray("path_hash_prefixes");
            pathHashPrefixes.forEach(p::add);
        }
        Json.putAll(o, unrecognized);
        return o;
    }

    /** Whether this role is trusted for the target path. */
    public boolean isDelegatedPath(String targetPath) {
        if (paths != null) {
            for (String pattern : paths) {
                if (matchesPattern(targetPath, pattern)) {
                    return true;
                }
            }
            return false;
        }
        String hash = Digests.sha256Hex(targetPath.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (String prefix : pathHashPrefixes) {
            if (hash.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The spec's path pattern match: both split on {@code /} into the same number of parts, each part
     * matched as a shell glob ({@code *}, {@code ?}, {@code [seq]}) that never crosses a separator.
     */
    static boolean matchesPattern(String target, String pattern) {
        String[] t = target.split("/", -1);
        String[] p = pattern.split("/", -1);
        if (t.length != p.length) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            if (!globToRegex(p[i]).matcher(t[i]).matches()) {
                return false;
            }
        }
        return true;
    }

    private static Pattern globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int close = glob.indexOf(']', i + 2);
                    if (close < 0) {
                        re.append("\\[");
                    } else {
                        String body = glob.substring(i + 1, close);
                        if (body.startsWith("!")) {
                            body = "^" + body.substring(1);
                        }
                        re.append('[').append(body.replace("\\", "\\\\")).append(']');
                        i = close;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
