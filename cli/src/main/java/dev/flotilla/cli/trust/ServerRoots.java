package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.client.AtomicFiles;
import dev.flotilla.core.tuf.repo.RoleKeys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Roots of a server-backed repository, as {@code trust init --server} and {@code trust rotate --server}
 * write them: the root and targets roles are the operator's offline keys; snapshot, timestamp and
 * {@code director} are the server's online keys (threshold 1), which the server requires of every root.
 */
final class ServerRoots {
    private ServerRoots() {
    }

    /** An unsigned root of {@code version} expiring at {@code expires} (to the second). */
    /** The online roles, in the order they are shown. */
    static final List<String> ONLINE_ROLES = List.of("snapshot", "timestamp", "director");

    /**
     * The key id of each online role's key in {@code onlineKeys} (the server's {@code /api/v1/trust/online-keys}
     * answer), computed from the key itself as {@link #build} does, never taken from the answer's label.
     */
    static Map<String, String> onlineKeyIds(JsonNode onlineKeys) {
        Map<String, String> ids = new LinkedHashMap<>();
        for (String role : ONLINE_ROLES) {
            ids.put(role, Key.fromJson(onlineKeys.path(role).path("key")).keyId());
        }
        return ids;
    }

    static Metadata<Root> build(long version, Instant expires, RoleKeys root, RoleKeys targets, JsonNode onlineKeys) {
        Map<String, Key> keys = new LinkedHashMap<>();
        Map<String, Role> roles = new LinkedHashMap<>();
        keys.putAll(root.byKeyId());
        roles.put("root", new Role(root.keyids(), root.threshold()));
        keys.putAll(targets.byKeyId());
        roles.put("targets", new Role(targets.keyids(), targets.threshold()));
        for (String role : ONLINE_ROLES) {
            Key k = Key.fromJson(onlineKeys.path(role).path("key"));
            keys.put(k.keyId(), k);
            roles.put(role, new Role(List.of(k.keyId()), 1));
        }
        return Metadata.of(new Root(Signed.SPEC_VERSION, version, expires.truncatedTo(ChronoUnit.SECONDS), true, keys,
                roles, Map.of()));
    }

    /**
     * Signs {@code root} with every signer and checks its own root threshold and, for a new version, the
     * previous root's.
     *
     * @throws IllegalArgumentException when a signer is a root key of neither
     * @throws dev.flotilla.core.tuf.RepositoryError when a threshold is not met
     */
    static Metadata<Root> sign(Metadata<Root> root, List<Signer> signers, Root previous) {
        Metadata<Root> signed = RootDrafts.sign(root, signers, previous);
        RootDrafts.requireThresholds(signed, previous);
        return signed;
    }

    /** Uploads a signed root and, when {@code out} is given, keeps {@code N.root.json} and {@code root.json} there. */
    static void upload(ServerClient client, Metadata<Root> root, Path out) throws IOException {
        byte[] bytes = root.toBytes();
        client.sendJson("PUT", "/api/v1/trust/root", bytes);
        if (out != null) {
            Files.createDirectories(out);
            AtomicFiles.write(out.resolve(root.signed().version() + ".root.json"), bytes);
            AtomicFiles.write(out.resolve("root.json"), bytes);
        }
    }
}
