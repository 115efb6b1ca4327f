package dev.flotilla.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;

import java.security.KeyPair;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The operator's side in tests: offline root and targets keys, root and targets metadata built by hand. */
public final class OfflineRepo {
    public final KeySigner rootKey = signer();
    public final KeySigner targetsKey = signer();
    public Metadata<Root> root;
    public Metadata<Targets> targets;

    public static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }

    /** Root version 1: our root and targets keys plus the server's online keys (and the director role). */
    public Metadata<Root> buildRoot(JsonNode onlineKeys, Instant now) {
        Map<String, Key> keys = new LinkedHashMap<>();
        Map<String, Role> roles = new LinkedHashMap<>();
        keys.put(rootKey.keyId(), rootKey.publicKey());
        keys.put(targetsKey.keyId(), targetsKey.publicKey());
        roles.put("root", new Role(List.of(rootKey.keyId()), 1));
        roles.put("targets", new Role(List.of(targetsKey.keyId()), 1));
        for (String r : List.of("snapshot", "timestamp", "director")) {
            Key k = Key.fromJson(onlineKeys.path(r).path("key"));
            keys.put(k.keyId(), k);
            roles.put(r, new Role(List.of(k.keyId()), 1));
        }
        root = Metadata.of(new Root(Signed.SPEC_VERSION, 1, now.plus(365, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS),
                true, keys, roles, Map.of())).sign(rootKey);
        return root;
    }

    /** The same root as {@link #buildRoot} at another version, signed by the (unchanged) root key. */
    public byte[] rootVersion(long version, Instant now) {
        Root r = root.signed();
        return Metadata.of(new Root(r.specVersion(), version, now.plus(365, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS),
                true, r.keys(), r.roles(), Map.of())).sign(rootKey).toBytes();
    }

    /** Targets of one image at {@code version}, signed by the targets key. */
    public Metadata<Targets> singleTarget(long version, String path, byte[] image, Instant now) {
        TargetFile tf = TargetFile.of(image, new FirmwareInfo(List.of("board-m"), "1.0.0", 0).toCustom());
        return Metadata.of(new Targets(Signed.SPEC_VERSION, version, now.plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS),
                Map.of(path, tf), null, Map.of())).sign(targetsKey);
    }

    /** The version of the newest published metadata of a role ({@code root}, {@code targets}), 0 when none. */
    public static long publishedVersion(Http http, String role) {
        if (role.equals("root")) {
            Http.Response r = http.get("/tuf/metadata/root.json", null);
            return r.status() == 404 ? 0 : r.json().path("signed").path("version").asLong();
        }
        Http.Response ts = http.get("/tuf/metadata/timestamp.json", null);
        if (ts.status() == 404) {
            return 0;
        }
        long snap = ts.json().path("signed").path("meta").path("snapshot.json").path("version").asLong();
        return http.get("/tuf/metadata/" + snap + ".snapshot.json", null).json().path("signed").path("meta")
                .path("targets.json").path("version").asLong();
    }

    /** The next targets version with one more image. */
    public Metadata<Targets> addTarget(String path, byte[] image, String version, String hardware, Instant now) {
        return addTarget(path, image, version, hardware, 0, now);
    }

    /** The next targets version with one more image of security version {@code securityVersion}. */
    public Metadata<Targets> addTarget(String path, byte[] image, String version, String hardware,
                                       long securityVersion, Instant now) {
        return addTarget(path, image, version, List.of(hardware), securityVersion, now);
    }

    /** The next targets version with one more image that runs on each of {@code hardware}. */
    public Metadata<Targets> addTarget(String path, byte[] image, String version, List<String> hardware,
                                       long securityVersion, Instant now) {
        Map<String, TargetFile> files = new LinkedHashMap<>(targets == null ? Map.of() : targets.signed().targets());
        TargetFile tf = TargetFile.of(image, new FirmwareInfo(hardware, version, securityVersion).toCustom());
        files.put(path, tf);
        long v = targets == null ? 1 : targets.signed().version() + 1;
        return Metadata.of(new Targets(Signed.SPEC_VERSION, v, now.plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS),
                files, null, Map.of()));
    }

    /** The next targets version without {@code path} (unsigned). */
    public Metadata<Targets> withoutTarget(String path, Instant now) {
        Map<String, TargetFile> files = new LinkedHashMap<>(targets.signed().targets());
        files.remove(path);
        return Metadata.of(new Targets(Signed.SPEC_VERSION, targets.signed().version() + 1,
                now.plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS), files, null, Map.of()));
    }

    /** {@code DELETE /api/v1/releases/PATH} with {@code signed}; keeps the targets on success. */
    public Http.Response delete(Http http, String token, String path, Metadata<Targets> signed) {
        Http.Response r = http.send("DELETE", "/api/v1/releases/" + path, token,
                Map.of("targets", CanonicalJson.parse(signed.toBytes())), Map.of());
        if (r.status() == 200) {
            targets = signed;
        }
        return r;
    }

    /**
     * Builds root version 1 over the online keys the server behind {@code http} names and uploads it; fails the
     * test unless the server takes it.
     */
    public Metadata<Root> trust(Http http, String adminToken, Instant now) {
        buildRoot(http.get("/api/v1/trust/online-keys", adminToken).json(), now);
        Http.Response r = uploadRoot(http, adminToken);
        org.assertj.core.api.Assertions.assertThat(r.status()).as(r.text()).isEqualTo(200);
        return root;
    }

    /**
     * Signs {@code path} ({@code image}, {@code version} for {@code hardware} at {@code securityVersion}) into the
     * next targets and publishes it; fails the test unless the server takes it.
     */
    public void release(Http http, String token, String path, byte[] image, String version, String hardware,
                        long securityVersion, Instant now) {
        Http.Response r = publish(http, token, path, image,
                addTarget(path, image, version, hardware, securityVersion, now).sign(targetsKey));
        org.assertj.core.api.Assertions.assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    /** Uploads the root through the API; returns the response. */
    public Http.Response uploadRoot(Http http, String adminToken) {
        return http.send("PUT", "/api/v1/trust/root", adminToken, root.toBytes(), Map.of());
    }

    /** Upload image + POST release; keeps the targets on success. */
    public Http.Response publish(Http http, String token, String path, byte[] image, Metadata<Targets> signed) {
        Http.Response up = http.send("POST", "/api/v1/releases/images", token, image, Map.of());
        if (up.status() != 201) {
            return up;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("uploadId", up.json().path("uploadId").asText());
        body.put("path", path);
        body.put("targets", CanonicalJson.parse(signed.toBytes()));
        Http.Response r = http.post("/api/v1/releases", token, body);
        if (r.status() == 201) {
            targets = signed;
        }
        return r;
    }
}
