package dev.flotilla.cli.trust;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signature;
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
import java.util.List;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A 2-of-3 root rotated without the signers sharing a machine: {@code trust rotate --draft} against a running
 * server, each root key holder runs {@code trust sign} on their own copy, {@code trust publish} combines the copies
 * and uploads once both thresholds are met; and the refusals (other bytes, unlisted key, bad signature, too few).
 */
class TrustDraftsTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:drafts" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "alice", "bob", "targets", "targets2", "outsider")
                .generate("ecdsa-p256", "carol");
        ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("alice"), fx.pub("bob"), fx.pub("carol"), "--root-threshold", 2,
                "--targets-key", fx.pub("targets"), "--sign-with", fx.key("alice"), fx.key("bob")));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void eachSignerSignsTheDraftAloneAndItIsPublishedOnceTheThresholdIsMet() throws Exception {
        Path draft = tmp.resolve("root-2.draft.json");
        CliRun made = CliRun.of("trust", "rotate", "--server", server.uri(), "--token", admin,
                "--targets-key", fx.pub("targets2"), "--draft", draft);
        ok(made);
        assertThat(made.out()).contains("root version 2").contains("root: 2 of");
        assertThat(Metadata.fromBytes(Files.readAllBytes(draft), Root.class).signatures()).isEmpty();
        assertThat(serverRootVersion()).isEqualTo(1);

        // alice and carol each sign their own copy (carol's key is ECDSA: mixed key types in one threshold)
        Path alice = copy(draft, "alice.json");
        CliRun signed = CliRun.of("trust", "sign", "--draft", alice, "--key", fx.key("alice"));
        ok(signed);
        assertThat(signed.out()).contains("targets: 1 of").contains("root version 2: 1 of 2 required signature(s)");
        Path carol = tmp.resolve("carol.json");
        ok(CliRun.of("trust", "sign", "--draft", copy(draft, "carol-in.json"), "--key", fx.key("carol"), "--out", carol));

        // one signature is not enough: nothing is uploaded
        CliRun shortOne = CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, "--server", server.uri(),
                "--token", admin);
        assertOneLineError(shortOne, "root version 2 has 1 valid signature(s) of the 2 required");
        assertThat(serverRootVersion()).isEqualTo(1);

        // a copy of another draft (its expiry differs): refused, naming the file
        Path other = tmp.resolve("other.draft.json");
        Thread.sleep(1100);
        ok(CliRun.of("trust", "rotate", "--server", server.uri(), "--token", admin, "--targets-key", fx.pub("targets2"),
                "--draft", other));
        ok(CliRun.of("trust", "sign", "--draft", other, "--key", fx.key("bob")));
        assertOneLineError(CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, other, "--server",
                server.uri(), "--token", admin), other + ": signs different bytes than " + draft);

        // a key that no root lists: trust sign refuses it, and a copy carrying its signature is refused
        assertOneLineError(CliRun.of("trust", "sign", "--draft", copy(draft, "x.json"), "--key", fx.key("outsider")),
                "is not a root key of root version 2");
        Metadata<Root> forged = Metadata.fromBytes(Files.readAllBytes(alice), Root.class)
                .sign(KeyFiles.loadSigner(fx.key("outsider")));
        Path forgedFile = Files.write(tmp.resolve("forged.json"), forged.toBytes());
        assertOneLineError(CliRun.of("trust", "publish", "--draft", draft, "--signed", forgedFile, carol, "--server",
                server.uri(), "--token", admin), forgedFile + ": signature by key "
                + KeyFiles.loadPublicKey(fx.pub("outsider")).keyId().substring(0, 12) + ", which is not a root key of root version 2");

        // a listed key's signature that does not verify over these bytes
        Metadata<Root> carolMd = Metadata.fromBytes(Files.readAllBytes(carol), Root.class);
        Signature s = carolMd.signatures().getFirst();
        byte[] sig = Hex.decode(s.sig());
        sig[sig.length / 2] ^= 1;
        Path bad = Files.write(tmp.resolve("bad.json"), carolMd.withSignatures(List.of(new Signature(s.keyid(),
                Hex.encode(sig)))).toBytes());
        assertOneLineError(CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, bad, "--server",
                server.uri(), "--token", admin), bad + ": the signature by key");
        assertThat(serverRootVersion()).isEqualTo(1);

        // alice's and carol's copies meet both thresholds (2 of 3 of version 1 and of version 2)
        CliRun published = CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, carol, "--server",
                server.uri(), "--token", admin, "--out", fx.repo);
        ok(published);
        assertThat(published.out()).contains("root version 2: 2 of 2 required signature(s); by the keys of version 1: 2 of 2")
                .contains("uploaded root version 2");
        assertThat(serverRootVersion()).isEqualTo(2);
        Metadata<Root> root2 = Metadata.fromBytes(Files.readAllBytes(fx.repo.resolve("2.root.json")), Root.class);
        Root r1 = Metadata.fromBytes(Files.readAllBytes(fx.repo.resolve("1.root.json")), Root.class).signed();
        Metadata.verifyThreshold("root 2", r1.role("root"), r1.keys(), root2);
        assertThat(root2.signed().role("targets").keyids())
                .containsExactly(KeyFiles.loadPublicKey(fx.pub("targets2")).keyId());
        // the draft is now stale: publishing it again is refused
        assertOneLineError(CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, carol, "--server",
                server.uri(), "--token", admin), "the draft is root version 2, but the current one is version 2");
    }

    @Test
    void aRootKeyRemovedByTheDraftSignsWithThePreviousRoot() throws Exception {
        Path draft = tmp.resolve("d.json");
        // the new root drops bob: his signature counts for version 1's threshold only
        ok(CliRun.of("trust", "rotate", "--server", server.uri(), "--token", admin, "--root-key", fx.pub("alice"),
                fx.pub("carol"), "--root-threshold", 2, "--draft", draft));
        assertOneLineError(CliRun.of("trust", "sign", "--draft", copy(draft, "b0.json"), "--key", fx.key("bob")),
                "is not a root key of root version 2");
        Path bob = tmp.resolve("bob.json");
        ok(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("bob"), "--previous-root",
                fx.repo.resolve("1.root.json"), "--out", bob));
        Path alice = tmp.resolve("alice.json");
        ok(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("alice"), "--out", alice));
        // alice + bob meet version 1's threshold but not version 2's (bob is no longer listed there)
        assertOneLineError(CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, bob, "--server",
                server.uri(), "--token", admin), "root version 2 has 1 valid signature(s) of the 2 required");
        Path carol = tmp.resolve("carol.json");
        ok(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("carol"), "--out", carol));
        ok(CliRun.of("trust", "publish", "--draft", draft, "--signed", alice, bob, carol, "--server", server.uri(),
                "--token", admin));
        assertThat(serverRootVersion()).isEqualTo(2);
    }

    @Test
    void rootVersionOneIsSignedOnSeparateMachinesToo() throws Exception {
        try (Server fresh = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("fresh")).withPort(0)
                .withHost("127.0.0.1").withDatabaseUrl("jdbc:h2:mem:drafts1" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"))) {
            String token = fresh.initialAdminToken().orElseThrow();
            Path draft = tmp.resolve("root-1.draft.json");
            Object[] init = {"trust", "init", "--accept-online-keys", "--server", fresh.uri(), "--token", token,
                    "--root-key", fx.pub("alice"), fx.pub("bob"), fx.pub("carol"), "--root-threshold", 2,
                    "--targets-key", fx.pub("targets"), "--draft", draft};
            ok(CliRun.of(init));
            assertOneLineError(CliRun.of("trust", "init", "--accept-online-keys", "--server", fresh.uri(), "--token",
                    token, "--root-key", fx.pub("alice"), "--targets-key", fx.pub("targets"), "--draft",
                    tmp.resolve("x.json"), "--sign-with", fx.key("alice")), "give either --sign-with");
            Path bob = tmp.resolve("bob-1.json");
            ok(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("bob"), "--out", bob));
            ok(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("carol")));
            CliRun published = CliRun.of("trust", "publish", "--draft", draft, "--signed", bob, "--server", fresh.uri(),
                    "--token", token);
            ok(published);
            assertThat(published.out()).contains("root version 1: 2 of 2 required signature(s)");
            Metadata<Root> root = Metadata.fromBytes(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    fresh.uri().resolve("/tuf/metadata/1.root.json")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body(), Root.class);
            assertThat(root.signatures()).hasSize(2);
            assertOneLineError(CliRun.of(init), "the server already has a root");
        }
    }

    @Test
    void theDraftWorksOnARepositoryDirectoryToo() throws Exception {
        CliFixture off = new CliFixture(tmp.resolve("o")).init(); // root1..3, 2 of 3
        Path draft = tmp.resolve("r.json");
        ok(CliRun.of("trust", "rotate", "--repo", off.repo, "--targets-key", off.pub("timestamp"), "--draft", draft));
        assertThat(off.repo.resolve("2.root.json")).doesNotExist();
        Path one = tmp.resolve("one.json");
        ok(CliRun.of("trust", "sign", "--draft", draft, "--key", off.key("root3"), "--out", one));
        ok(CliRun.of("trust", "sign", "--draft", draft, "--key", off.key("root2")));
        ok(CliRun.of("trust", "publish", "--draft", draft, "--signed", one, "--repo", off.repo));
        Metadata<Root> root2 = Metadata.fromBytes(Files.readAllBytes(off.repo.resolve("2.root.json")), Root.class);
        assertThat(Files.readAllBytes(off.repo.resolve("root.json"))).isEqualTo(root2.toBytes());
        assertThat(root2.signatures()).hasSize(2);
    }

    private Path copy(Path draft, String name) throws Exception {
        return Files.copy(draft, tmp.resolve(name));
    }

    private long serverRootVersion() throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                server.uri().resolve("/tuf/metadata/root.json")).build(), HttpResponse.BodyHandlers.ofByteArray());
        return Metadata.fromBytes(r.body(), Root.class).signed().version();
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }
}
