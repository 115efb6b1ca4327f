package dev.flotilla.core.tuf.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real-world metadata: Sigstore's root-signing repository (core/src/test/resources/fixtures/tuf/sigstore-root-signing), laid
 * out with consistent-snapshot names in a temp dir and served over HTTP. Starting from root v1, the client
 * must walk 14 root rotations written by other tools over five years and verify everything.
 */
class SigstoreRootSigningTest {
    static final Clock PINNED = Clock.fixed(Instant.parse("2026-08-22T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;
    Path fixture;
    RepositorySimulator server;

    @BeforeEach
    void setUp() throws IOException {
        fixture = Path.of("src/test/resources/fixtures/tuf/sigstore-root-signing").toAbsolutePath();
        assertThat(fixture.resolve("metadata/root_history"))
                .as("the Sigstore fixture must exist at core/src/test/resources/fixtures/tuf/sigstore-root-signing")
                .isDirectory();
        Path site = tmp.resolve("site");
        layOut(fixture, site);
        server = new RepositorySimulator();
        try (Stream<Path> files = Files.walk(site)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                server.putFile(site.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    /** The published layout, as interop/tuf-js/lay-out-sigstore.sh makes it. */
    static void layOut(Path fixture, Path out) throws IOException {
        Path meta = fixture.resolve("metadata");
        Path metaOut = out.resolve("metadata");
        Files.createDirectories(metaOut);
        try (Stream<Path> roots = Files.list(meta.resolve("root_history"))) {
            for (Path r : roots.toList()) {
                Files.copy(r, metaOut.resolve(version(r) + ".root.json"));
            }
        }
        Files.copy(meta.resolve("timestamp.json"), metaOut.resolve("timestamp.json"));
        try (Stream<Path> all = Files.list(meta)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".json") || name.equals("root.json") || name.equals("timestamp.json")) {
                    continue;
                }
                Files.copy(p, metaOut.resolve(version(p) + "." + name));
                if (!name.equals("snapshot.json")) {
                    layOutTargets(p, fixture.resolve("targets"), out.resolve("targets"));
                }
            }
        }
    }

    private static void layOutTargets(Path role, Path targetsIn, Path targetsOut) throws IOException {
        JsonNode targets = CanonicalJson.parse(Files.readAllBytes(role)).get("signed").get("targets");
        for (Iterator<Map.Entry<String, JsonNode>> it = targets.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = e.getKey();
            byte[] data = Files.readAllBytes(targetsIn.resolve(path));
            int slash = path.lastIndexOf('/');
            for (Iterator<Map.Entry<String, JsonNode>> h = e.getValue().get("hashes").fields(); h.hasNext(); ) {
                Map.Entry<String, JsonNode> hash = h.next();
                assertThat(Hex.encode(Digests.create(hash.getKey()).digest(data))).isEqualTo(hash.getValue().asText());
                Path dst = targetsOut.resolve(path.substring(0, slash + 1) + hash.getValue().asText() + "."
                        + path.substring(slash + 1));
                Files.createDirectories(dst.getParent());
                Files.write(dst, data);
            }
        }
    }

    private static long version(Path p) throws IOException {
        return CanonicalJson.parse(Files.readAllBytes(p)).get("signed").get("version").longValue();
    }

    private TestClient client(Clock clock) throws IOException {
        TestClient c = new TestClient(server, tmp.resolve("client"),
                Files.readAllBytes(fixture.resolve("metadata/root_history/1.root.json")));
        c.clock = clock;
        return c;
    }

    @Test
    void refreshWalksSigstoreRootsOneToFifteenAndDownloadsTargets() throws IOException {
        TestClient c = client(PINNED);

        Updater u = c.refresh();

        assertThat(c.locallyTrusted()).containsExactlyInAnyOrderEntriesOf(
                Map.of("root", 15L, "timestamp", 762L, "snapshot", 165L, "targets", 14L));
        for (int v = 2; v <= 15; v++) {
            assertThat(server.fetchCount("metadata/" + v + ".root.json")).isEqualTo(1);
        }
        assertThat(server.fetchCount("metadata/16.root.json")).isEqualTo(1);

        TargetInfo trustedRoot = u.getTargetInfo("trusted_root.json").orElseThrow();
        assertThat(trustedRoot.role()).isEqualTo("targets");
        Path got = u.downloadTarget(trustedRoot, u.defaultTargetPath(trustedRoot));
        assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(fixture.resolve("targets/trusted_root.json")));

        TargetInfo npm = u.getTargetInfo("registry.npmjs.org/keys.json").orElseThrow();
        assertThat(npm.role()).isEqualTo("registry.npmjs.org");
        assertThat(c.localVersion("registry.npmjs.org.json")).isEqualTo(8);
        Path npmFile = u.downloadTarget(npm, u.defaultTargetPath(npm));
        assertThat(npmFile.getFileName().toString()).isEqualTo("registry.npmjs.org%2Fkeys.json");
        assertThat(Files.readAllBytes(npmFile))
                .isEqualTo(Files.readAllBytes(fixture.resolve("targets/registry.npmjs.org/keys.json")));
        assertThat(u.findCachedTarget(npm, npmFile)).contains(npmFile);
    }

    @Test
    void refreshRefusesSigstoreDataAsExpiredWithTheRealClock() throws IOException {
        TestClient c = client(Clock.systemUTC());

        c.refreshFails(Reason.EXPIRED);

        assertThat(c.localVersion("root.json")).isEqualTo(15);
        assertThat(c.local("timestamp.json")).isEmpty();
    }
}
