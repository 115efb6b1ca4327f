package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A 2-of-2 targets role whose holders never share a machine: {@code release publish --draft} writes the next
 * targets unsigned against a running server, each holder signs a copy in their own directory with {@code release
 * sign --draft}, and {@code release publish --draft} uploads once the threshold is met; the refusals (short
 * threshold, unlisted key, other bytes, a signature that no longer verifies, another image) change nothing, and
 * a TUF client then trusts and downloads what was published.
 */
class TargetsDraftsTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;
    private Path rootFile;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:tdrafts" + System.nanoTime() + ";DB_CLOSE_DELAY=-1")
                .withPublicArtifacts(true)); // the TUF client below downloads as a mirror would, without a token
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root", "alice", "outsider").generate("ecdsa-p256", "bob");
        ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root"), "--targets-key", fx.pub("alice"), fx.pub("bob"), "--targets-threshold", 2,
                "--sign-with", fx.key("root")));
        rootFile = fx.repo.resolve("1.root.json");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void eachHolderSignsOnTheirOwnMachineAndThePublishWaitsForTheThreshold() throws Exception {
        Path image = image("fw-1.0.bin", 50_000, 1);
        Path draft = tmp.resolve("fw-1.0.draft.json");
        CliRun made = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "1.0.0", "--hardware", "board-a", "--draft", draft);
        ok(made);
        assertThat(made.out()).contains("targets version 1").contains("fw-1.0.bin: version 1.0.0 for [board-a]")
                .contains("release sign --draft");
        assertThat(Metadata.fromBytes(Files.readAllBytes(draft), Targets.class).signatures()).isEmpty();
        assertThat(releases()).isEmpty();
        assertOneLineError(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "1.0.0", "--hardware", "board-a", "--draft", draft), "refusing to overwrite a draft");

        // two machines: each holder has their own copy of the draft, the root and their own key, nothing else
        Path alice = machine("alice", draft, "alice");
        Path bob = machine("bob", draft, "bob");
        CliRun aliceSigned = CliRun.of("release", "sign", "--draft", alice.resolve("draft.json"), "--key",
                alice.resolve("key.pem"), "--root", alice.resolve("root.json"), "--out", alice.resolve("signed.json"));
        ok(aliceSigned);
        assertThat(aliceSigned.out()).contains("signing targets version 1")
                .contains("targets version 1 (targets keys of root version 1): 1 of 2 required signature(s)");
        Path aliceCopy = alice.resolve("signed.json");

        // below the threshold: refused, nothing published
        assertOneLineError(publish(draft, image, aliceCopy), "targets version 1 has 1 valid signature(s) of the 2 required");
        assertThat(releases()).isEmpty();

        // a key the targets role does not list: refused when signing against the root, and in a copy at publish
        Path outsider = machine("outsider", draft, "outsider");
        assertOneLineError(CliRun.of("release", "sign", "--draft", outsider.resolve("draft.json"), "--key",
                outsider.resolve("key.pem"), "--root", outsider.resolve("root.json")), "is not a targets key of root version 1");
        ok(CliRun.of("release", "sign", "--draft", outsider.resolve("draft.json"), "--key", outsider.resolve("key.pem")));
        String outsiderId = KeyFiles.loadPublicKey(fx.pub("outsider")).keyId().substring(0, 12);
        assertOneLineError(publish(draft, image, aliceCopy, outsider.resolve("draft.json")),
                outsider.resolve("draft.json") + ": signature by key " + outsiderId
                        + ", which is not a targets key of root version 1");

        // bob signs, then his copy is edited (another release version): it signs different bytes than the draft
        ok(CliRun.of("release", "sign", "--draft", bob.resolve("draft.json"), "--key", bob.resolve("key.pem"),
                "--root", bob.resolve("root.json")));
        Path edited = edit(bob.resolve("draft.json"), tmp.resolve("edited.json"));
        assertOneLineError(publish(draft, image, aliceCopy, edited), edited + ": signs different bytes than " + draft);
        // the same edit made to the draft itself: bob's signature no longer verifies over its bytes
        String bobId = KeyFiles.loadPublicKey(fx.pub("bob")).keyId().substring(0, 12);
        assertOneLineError(publish(edited, image, aliceCopy), edited + ": the signature by key " + bobId
                + " does not verify over the draft's bytes");
        assertOneLineError(CliRun.of("release", "sign", "--draft", edited, "--key", fx.key("alice"), "--root", rootFile),
                edited + ": the signature by key " + bobId);
        // an image other than the one the draft adds
        assertOneLineError(publish(draft, image("other.bin", 50_000, 2), aliceCopy, bob.resolve("draft.json")),
                "is not the image the draft adds as 'fw-1.0.bin'");
        assertThat(releases()).isEmpty();

        // both holders' copies: the threshold is met and the release is published
        CliRun published = publish(draft, image, aliceCopy, bob.resolve("draft.json"));
        ok(published);
        assertThat(published.out()).contains("targets version 1 (targets keys of root version 1): 2 of 2")
                .contains("published fw-1.0.bin (50000 bytes").contains("as targets version 1");
        assertThat(releases()).containsExactly("fw-1.0.bin");
        assertOneLineError(publish(draft, image, aliceCopy, bob.resolve("draft.json")),
                "the draft is targets version 1, but the current one is version 1: make a new draft");

        // a device's TUF client trusts the targets the two holders signed and downloads the image
        Updater device = device();
        device.refresh();
        var info = device.getTargetInfo("fw-1.0.bin").orElseThrow();
        assertThat(Files.readAllBytes(device.downloadTarget(info, tmp.resolve("device/got"))))
                .isEqualTo(Files.readAllBytes(image));
    }

    @Test
    void theNextDraftBuildsOnTheThresholdSignedTargetsAndKeysStillSignInOneGo() throws Exception {
        Path one = image("fw-1.0.bin", 1000, 1);
        Path d1 = tmp.resolve("d1.json");
        ok(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one, "--version",
                "1.0.0", "--hardware", "board-a", "--draft", d1));
        ok(CliRun.of("release", "sign", "--draft", d1, "--key", fx.key("alice"), fx.key("bob"), "--root", rootFile));
        ok(publish(d1, one));
        // both keys on one machine still publish directly, on top of the draft-published targets
        Path two = image("fw-2.0.bin", 2000, 2);
        ok(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", two, "--version",
                "2.0.0", "--hardware", "board-a", "--targets-key", fx.key("alice"), fx.key("bob"), "--no-progress"));
        // a draft for version 3: it keeps both releases and adds the third
        Path three = image("fw-3.0.bin", 3000, 3);
        Path d3 = tmp.resolve("d3.json");
        ok(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", three, "--version",
                "3.0.0", "--hardware", "board-a", "--draft", d3));
        Metadata<Targets> md = Metadata.fromBytes(Files.readAllBytes(d3), Targets.class);
        assertThat(md.signed().version()).isEqualTo(3);
        assertThat(md.signed().targets()).containsOnlyKeys("fw-1.0.bin", "fw-2.0.bin", "fw-3.0.bin");

        // option mistakes are one line each
        assertOneLineError(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", three,
                "--draft", d3, "--targets-key", fx.key("alice")), "give either --targets-key");
        assertOneLineError(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", three,
                "--draft", d3, "--hardware", "board-a"), "--hardware describes a new release");
        assertOneLineError(CliRun.of("release", "sign", "--draft", d3, "--key", fx.key("alice"), "--version", "3"),
                "--version does not go with --draft");
        assertOneLineError(CliRun.of("release", "sign", "--key", fx.key("alice")), "give --repo, --image, --version");

        ok(CliRun.of("release", "sign", "--draft", d3, "--key", fx.key("bob"), "--root", rootFile));
        Path aliceCopy = tmp.resolve("alice-3.json");
        ok(CliRun.of("release", "sign", "--draft", d3, "--key", fx.key("alice"), "--out", aliceCopy));
        ok(publish(d3, three, aliceCopy));
        Updater device = device();
        device.refresh();
        assertThat(device.getTargetInfo("fw-3.0.bin")).isPresent();
        assertThat(device.getTargetInfo("fw-1.0.bin")).isPresent();
    }

    @Test
    void aRefreshAndADeletionTravelAsDraftsToo() throws Exception {
        for (String v : new String[] {"1.0", "2.0"}) {
            ok(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image",
                    image("fw-" + v + ".bin", 500, v.hashCode()), "--version", v + ".0", "--hardware", "board-a",
                    "--targets-key", fx.key("alice"), fx.key("bob"), "--no-progress"));
        }
        Path refresh = tmp.resolve("refresh.json");
        ok(CliRun.of("release", "refresh", "--server", server.uri(), "--token", admin, "--expires-in", "30d",
                "--draft", refresh));
        Path aliceCopy = tmp.resolve("alice-refresh.json");
        ok(CliRun.of("release", "sign", "--draft", refresh, "--key", fx.key("alice"), "--root", rootFile, "--out",
                aliceCopy));
        assertOneLineError(publish(refresh, null, aliceCopy), "targets version 3 has 1 valid signature(s) of the 2 required");
        assertOneLineError(publish(refresh, image("fw-1.0.bin", 500, "1.0".hashCode()), aliceCopy),
                "the draft adds no release: leave out --image");
        ok(CliRun.of("release", "sign", "--draft", refresh, "--key", fx.key("bob"), "--root", rootFile));
        CliRun refreshed = publish(refresh, null, aliceCopy);
        ok(refreshed);
        assertThat(refreshed.out()).contains("re-signed targets version 3 (2 targets)");

        Path delete = tmp.resolve("delete.json");
        ok(CliRun.of("release", "delete", "fw-1.0.bin", "--server", server.uri(), "--token", admin,
                "--draft", delete));
        assertThat(Metadata.fromBytes(Files.readAllBytes(delete), Targets.class).signed().targets())
                .containsOnlyKeys("fw-2.0.bin");
        assertThat(releases()).containsExactlyInAnyOrder("fw-1.0.bin", "fw-2.0.bin");
        ok(CliRun.of("release", "sign", "--draft", delete, "--key", fx.key("alice"), fx.key("bob"), "--root", rootFile));
        CliRun deleted = publish(delete, null);
        ok(deleted);
        assertThat(deleted.out()).contains("deleted fw-1.0.bin").contains("targets version 4 no longer lists it");
        assertThat(releases()).containsExactly("fw-2.0.bin");
        Updater device = device();
        device.refresh();
        assertThat(device.getTargetInfo("fw-1.0.bin")).isEmpty();
        assertThat(device.getTargetInfo("fw-2.0.bin")).isPresent();
    }

    private CliRun publish(Path draft, Path image, Path... signed) {
        List<Object> args = new ArrayList<>(List.of("release", "publish", "--server", server.uri(), "--token", admin,
                "--draft", draft, "--no-progress"));
        if (image != null) {
            args.addAll(List.of("--image", image));
        }
        if (signed.length > 0) {
            args.add("--signed");
            args.addAll(List.of((Object[]) signed));
        }
        return CliRun.of(args.toArray());
    }

    /** A signer's machine: a directory holding only their copy of the draft, the trusted root and their key. */
    private Path machine(String name, Path draft, String key) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("machine-" + name));
        Files.copy(draft, dir.resolve("draft.json"));
        Files.copy(rootFile, dir.resolve("root.json"));
        Files.copy(fx.key(key), dir.resolve("key.pem"));
        return dir;
    }

    /** The signed file with the release's version changed in its signed part, signatures kept. */
    private static Path edit(Path signed, Path to) throws Exception {
        ObjectNode json = CanonicalJson.parseObject(Files.readAllBytes(signed));
        ((ObjectNode) json.path("signed").path("targets").path("fw-1.0.bin").path("custom")).put("version", "1.0.1");
        return Files.write(to, CanonicalJson.mapper().writeValueAsBytes(json));
    }

    private Path image(String name, int size, long seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(tmp.resolve(name), b);
    }

    private Updater device() throws Exception {
        Path meta = Files.createDirectories(tmp.resolve("device/metadata"));
        if (!Files.exists(meta.resolve("root.json"))) {
            Updater.initialize(meta, Files.readAllBytes(rootFile));
        }
        return new Updater(UpdaterConfig.of(meta, server.uri().resolve("/tuf/metadata/"), tmp.resolve("device/t"),
                server.uri().resolve("/tuf/targets/")), new HttpFetcher(), Clock.systemUTC());
    }

    /** The target paths of the server's releases. */
    private List<String> releases() throws Exception {
        byte[] body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri().resolve("/api/v1/releases"))
                .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        List<String> paths = new ArrayList<>();
        CanonicalJson.mapper().readTree(body).path("items").forEach(r -> paths.add(r.path("targetPath").asText()));
        return paths;
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }
}
