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

import dev.flotilla.core.json.CanonicalJson;
import java.io.IOException;
import java.io.PrintWriter;
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

    /**
     * Uploads a signed root and, when {@code out} is given, keeps {@code N.root.json} and {@code root.json} there;
     * returns the server's answer (the stored root's version and expiry).
     */
    static JsonNode upload(ServerClient client, Metadata<Root> root, Path out) throws IOException {
        byte[] bytes = root.toBytes();
        JsonNode answer = client.sendJson("PUT", "/api/v1/trust/root", bytes);
        if (out != null) {
            Files.createDirectories(out);
            AtomicFiles.write(out.resolve(root.signed().version() + ".root.json"), bytes);
            AtomicFiles.write(out.resolve("root.json"), bytes);
        }
        return answer;
    }

    /**
     * Shows the server's online key ids and goes on only when they are the expected ones, or the operator
     * accepted them: the root names them, so a man in the middle at set-up must not slip its own keys in.
     */
    static void requireExpectedOnlineKeys(PrintWriter out, Map<String, String> received, Path expectOnlineKeys,
                                          boolean acceptOnlineKeys) throws IOException {
        out.println("server's online keys: " + describe(received));
        out.flush();
        if (expectOnlineKeys != null) {
            Map<String, String> expected = readExpected(expectOnlineKeys);
            if (!expected.equals(received)) {
                throw new IllegalStateException("the server's online keys are not the expected ones (expected "
                        + describe(expected) + "); nothing was uploaded: check that this is your server and that"
                        + " nothing sits between you and it");
            }
        } else if (!acceptOnlineKeys) {
            throw new IllegalArgumentException("compare the server's online key ids above with the ones `flotilla"
                    + " server` printed at start, then pass them with --expect-online-keys FILE (or take them with"
                    + " --accept-online-keys); nothing was uploaded");
        }
    }

    /** {@code {"snapshot": ID, ...}} or the online-keys answer ({@code {"snapshot": {"keyid", "key"}, ...}}). */
    static Map<String, String> readExpected(Path file) throws IOException {
        JsonNode n;
        try {
            n = CanonicalJson.mapper().readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not JSON: " + e.getOriginalMessage());
        }
        Map<String, String> ids = new LinkedHashMap<>();
        for (String role : ServerRoots.ONLINE_ROLES) {
            JsonNode v = n == null ? null : n.get(role);
            if (v != null && v.isTextual()) {
                ids.put(role, v.textValue());
            } else if (v != null && v.has("key")) {
                ids.put(role, Key.fromJson(v.get("key")).keyId()); // computed from the key, as the root will be
            } else {
                throw new IllegalArgumentException(file + " names no key id for " + role + "; expected {\"snapshot\":"
                        + " ID, \"timestamp\": ID, \"director\": ID}");
            }
        }
        return ids;
    }

    private static String describe(Map<String, String> ids) {
        StringBuilder b = new StringBuilder();
        ids.forEach((role, id) -> b.append(b.isEmpty() ? "" : ", ").append(role).append(' ').append(id));
        return b.toString();
    }
}
