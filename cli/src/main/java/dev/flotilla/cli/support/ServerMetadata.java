package dev.flotilla.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The metadata a server publishes, as operator commands read it, and its expiry warnings. */
public final class ServerMetadata {
    private ServerMetadata() {
    }

    /** The server's newest root, or empty before {@code trust init --server}. */
    public static Optional<Metadata<Root>> currentRoot(ServerClient client) throws IOException {
        return client.getIfPresent("/tuf/metadata/root.json").map(b -> Metadata.fromBytes(b, Root.class));
    }

    /** The server's current targets (timestamp, then snapshot, then targets), or empty before the first release. */
    public static Optional<Metadata<Targets>> currentTargets(ServerClient client) throws IOException {
        Optional<byte[]> ts = client.getIfPresent("/tuf/metadata/timestamp.json");
        if (ts.isEmpty()) {
            return Optional.empty();
        }
        long snapVersion = Metadata.fromBytes(ts.get(), Timestamp.class).signed().snapshotMeta().version();
        byte[] snap = client.getIfPresent("/tuf/metadata/" + snapVersion + ".snapshot.json")
                .orElseThrow(() -> new IllegalStateException("the server lists snapshot " + snapVersion + " but lacks it"));
        long targetsVersion = Metadata.fromBytes(snap, Snapshot.class).signed().metaFor("targets").version();
        byte[] targets = client.getIfPresent("/tuf/metadata/" + targetsVersion + ".targets.json")
                .orElseThrow(() -> new IllegalStateException("the server lists targets " + targetsVersion + " but lacks it"));
        return Optional.of(Metadata.fromBytes(targets, Targets.class));
    }

    /**
     * Requires a valid signature on {@code md} by every one of {@code keys} (what the operator signed last
     * time), so that a server cannot slip content into what the operator signs next.
     *
     * @throws IllegalStateException naming {@code what}, ending with {@code refusal}
     */
    public static void requireSignedBy(Metadata<?> md, List<Key> keys, String what, String refusal) {
        requireSignedBy(md, keys, keys.size(), what, refusal);
    }

    /**
     * Requires valid signatures on {@code md} by at least {@code threshold} of {@code keys}.
     *
     * @throws IllegalStateException naming {@code what}, ending with {@code refusal}
     */
    public static void requireSignedBy(Metadata<?> md, List<Key> keys, int threshold, String what, String refusal) {
        Map<String, Key> byId = new LinkedHashMap<>();
        keys.forEach(k -> byId.put(k.keyId(), k));
        try {
            Metadata.verifyThreshold(what, new Role(List.copyOf(byId.keySet()), Math.min(threshold, byId.size())),
                    byId, md);
        } catch (RepositoryError e) {
            throw new IllegalStateException(e.getMessage() + " by the given keys; " + refusal);
        }
    }

    /**
     * The server's trust warnings (signed metadata that expires soon or has expired), as its health
     * endpoint states them; none when it cannot be asked (the command's own request already told).
     */
    public static List<String> warnings(ServerClient client) {
        try {
            JsonNode health = client.getJson("/healthz");
            List<String> out = new ArrayList<>();
            health.path("trust").path("warnings").forEach(w -> out.add(w.asText()));
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Prints each of the server's trust warnings as one line {@code flotilla: warning: ...}. */
    public static void printWarnings(ServerClient client, PrintWriter err) {
        for (String w : warnings(client)) {
            err.println("flotilla: warning: " + w);
        }
        err.flush();
    }
}
