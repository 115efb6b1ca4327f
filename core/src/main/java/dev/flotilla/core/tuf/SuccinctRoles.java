package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TAP 15 succinct hash bins: {@code 2^bitLength} roles named {@code PREFIX-HEX}, all sharing one key set;
 * a target belongs to the bin given by the first {@code bitLength} bits of SHA-256(path).
 */
public record SuccinctRoles(List<String> keyids, int threshold, int bitLength, String namePrefix,
                            Map<String, JsonNode> unrecognized) {
    private static final Set<String> KNOWN = Set.of("keyids", "threshold", "bit_length", "name_prefix");

    public SuccinctRoles {
        keyids = List.copyOf(keyids);
        unrecognized = Map.copyOf(unrecognized);
        if (bitLength < 1 || bitLength > 32) {
            throw Json.malformed("bit_length must be in 1..32, got " + bitLength);
        }
        if (threshold < 1) {
            throw Json.malformed("threshold must be >= 1");
        }
    }

    static SuccinctRoles fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "succinct_roles");
        return new SuccinctRoles(Role.keyids(o), (int) Json.positive(o, "threshold"),
                (int) Json.positive(o, "bit_length"), Json.string(o, "name_prefix"), Json.unrecognized(o, KNOWN));
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        ArrayNode ids = o.putArray("keyids");
        keyids.forEach(ids::add);
        o.put("threshold", threshold);
        o.put("bit_length", bitLength);
        o.put("name_prefix", namePrefix);
        Json.putAll(o, unrecognized);
        return o;
    }

    public long numberOfBins() {
        return 1L << bitLength;
    }

    private int suffixLength() {
        return Long.toHexString(numberOfBins() - 1).length();
    }

    /** The bin role responsible for a target path. */
    public String roleForTarget(String targetPath) {
        byte[] hash = Hex.decode(Digests.sha256Hex(targetPath.getBytes(StandardCharsets.UTF_8)));
        long first32 = ((hash[0] & 0xFFL) << 24) | ((hash[1] & 0xFFL) << 16) | ((hash[2] & 0xFFL) << 8) | (hash[3] & 0xFFL);
        long bin = first32 >>> (32 - bitLength);
        return binName(bin);
    }

    public String binName(long bin) {
        String hex = Long.toHexString(bin);
        return namePrefix + "-" + "0".repeat(Math.max(0, suffixLength() - hex.length())) + hex;
    }

    /** Whether {@code role} is one of the bins. */
    public boolean isDelegatedRole(String role) {
        String want = namePrefix + "-";
        if (!role.startsWith(want)) {
            return false;
        }
        String suffix = role.substring(want.length());
        if (suffix.length() != suffixLength() || !suffix.matches("[0-9a-f]+")) {
            return false;
        }
        return Long.parseLong(suffix, 16) < numberOfBins();
    }

    public List<String> allBinNames() {
        List<String> names = new ArrayList<>();
        for (long i = 0; i < numberOfBins(); i++) {
            names.add(binName(i));
        }
        return names;
    }

    public Role asRole() {
        return new Role(keyids, threshold);
    }
}
