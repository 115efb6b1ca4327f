package dev.flotilla.cli.pkcs11;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Targets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Offline root and targets keys on a PKCS#11 token (SoftHSM2 through the JDK's SunPKCS11): {@code trust init},
 * {@code trust rotate} and {@code release sign} run as real processes with {@code pkcs11:} URIs, and what they
 * write verifies with the normal verifier ({@link Metadata#verifyThreshold}) against the keys in the root.
 */
class Pkcs11KeysTest {
    @TempDir
    static Path tmp;
    static SoftHsm hsm;
    static CliFixture fx;

    @BeforeAll
    static void token() throws Exception {
        hsm = SoftHsm.create(tmp.resolve("hsm"));
        hsm.initToken("release");
        hsm.generate("release", "root-ec", "EC");
        hsm.generate("release", "root-rsa", "RSA");
        hsm.generate("release", "targets-rsa", "RSA");
        hsm.generate("release", "targets-ec", "EC");
        fx = new CliFixture(tmp).generate("ed25519", "snapshot", "timestamp");
    }

    @Test
    void rootAndTargetsKeysOnTheTokenSignWhatTheVerifierAccepts() throws Exception {
        Path repo = tmp.resolve("repo");
        ok(hsm.flotilla("trust", "init", "--out", repo,
                "--root-key", hsm.uri("release", "root-ec"), hsm.uri("release", "root-rsa"), "--root-threshold", 2,
                "--targets-key", hsm.uri("release", "targets-rsa"),
                "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"),
                "--sign-with", hsm.uri("release", "root-ec"), hsm.uri("release", "root-rsa")));
        Metadata<Root> root1 = Metadata.fromBytes(Files.readAllBytes(repo.resolve("1.root.json")), Root.class);
        Root r1 = root1.signed();
        Metadata.verifyThreshold("root", r1.role("root"), r1.keys(), root1);
        assertThat(root1.signatures()).hasSize(2);
        assertThat(r1.role("root").keyids().stream().map(id -> r1.keys().get(id)).map(k -> k.keytype() + "/" + k.scheme()))
                .containsExactlyInAnyOrder("ecdsa/ecdsa-sha2-nistp256", "rsa/rsassa-pss-sha256");

        Path image = Files.write(tmp.resolve("fw-1.0.0.img"), new byte[4096]);
        ok(hsm.flotilla("release", "sign", "--repo", repo, "--image", image, "--version", "1.0.0", "--hardware", "board",
                "--targets-key", hsm.uri("release", "targets-rsa"),
                "--snapshot-key", fx.key("snapshot"), "--timestamp-key", fx.key("timestamp")));
        verifyTargets(repo, r1, "fw-1.0.0.img");

        // rotate the targets key to the EC key on the token; the PIN and module now come from the environment
        String envUriEc = "pkcs11:token=release;object=root-ec";
        String envUriRsa = "pkcs11:token=release;object=root-rsa";
        ok(hsm.flotilla(Map.of("FLOTILLA_PKCS11_PIN", SoftHsm.PIN, "FLOTILLA_PKCS11_MODULE", SoftHsm.MODULE.toString()),
                "trust", "rotate", "--repo", repo, "--targets-key", hsm.uri("release", "targets-ec"),
                "--sign-with", envUriEc, envUriRsa));
        Metadata<Root> root2 = Metadata.fromBytes(Files.readAllBytes(repo.resolve("2.root.json")), Root.class);
        Metadata.verifyThreshold("root 2", r1.role("root"), r1.keys(), root2);
        Metadata.verifyThreshold("root 2", root2.signed().role("root"), root2.signed().keys(), root2);
        Path image2 = Files.write(tmp.resolve("fw-1.1.0.img"), new byte[8192]);
        ok(hsm.flotilla("release", "sign", "--repo", repo, "--image", image2, "--version", "1.1.0", "--hardware", "board",
                "--targets-key", hsm.uri("release", "targets-ec"),
                "--snapshot-key", fx.key("snapshot"), "--timestamp-key", fx.key("timestamp")));
        Root r2 = root2.signed();
        assertThat(r2.keys().get(r2.role("targets").keyids().getFirst()).scheme()).isEqualTo("ecdsa-sha2-nistp256");
        verifyTargets(repo, r2, "fw-1.1.0.img");

        // a root draft signed key by key on the token (as two holders would, each with their own token)
        Path draft = tmp.resolve("root-3.draft.json");
        ok(hsm.flotilla("trust", "rotate", "--repo", repo, "--draft", draft));
        ok(hsm.flotilla("trust", "sign", "--draft", draft, "--key", hsm.uri("release", "root-ec")));
        ok(hsm.flotilla("trust", "sign", "--draft", draft, "--key", hsm.uri("release", "root-rsa")));
        ok(hsm.flotilla("trust", "publish", "--draft", draft, "--repo", repo));
        Metadata<Root> root3 = Metadata.fromBytes(Files.readAllBytes(repo.resolve("3.root.json")), Root.class);
        Metadata.verifyThreshold("root 3", r2.role("root"), r2.keys(), root3);

        // a targets draft (the next targets version, unsigned) signed by the token's targets key against root 3
        Targets t = latestTargets(repo).signed();
        Path targetsDraft = Files.write(tmp.resolve("targets.draft.json"), Metadata.of(new Targets(t.specVersion(),
                t.version() + 1, t.expires(), t.targets(), t.delegations(), t.unrecognized())).toBytes());
        assertOneLineError(hsm.flotilla("release", "sign", "--draft", targetsDraft, "--key", hsm.uri("release", "root-ec"),
                "--root", repo.resolve("3.root.json")), "is not a targets key of root version 3");
        ok(hsm.flotilla("release", "sign", "--draft", targetsDraft, "--key", hsm.uri("release", "targets-ec"),
                "--root", repo.resolve("3.root.json")));
        Metadata<Targets> signedDraft = Metadata.fromBytes(Files.readAllBytes(targetsDraft), Targets.class);
        Root r3 = root3.signed();
        Metadata.verifyThreshold("targets draft", r3.role("targets"), r3.keys(), signedDraft);
    }

    @Test
    void thePrivateKeysNeverLeaveTheToken() throws Exception {
        String objects = hsm.listObjects("release");
        long privateKeys = objects.lines().filter(l -> l.startsWith("Private Key Object")).count();
        assertThat(privateKeys).as(objects).isEqualTo(4);
        assertThat(objects.lines().filter(l -> l.contains("Access:")).filter(l -> l.contains("never extractable")
                && l.contains("always sensitive") && l.contains("local")).count()).as(objects).isEqualTo(4);
    }

    @Test
    void badTokenArgumentsAreOneLineErrors() throws Exception {
        Path repo = tmp.resolve("bad");
        Object[] init = {"trust", "init", "--out", repo, "--root-key", fx.pub("snapshot"), "--targets-key",
                fx.pub("snapshot"), "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"),
                "--sign-with", null};
        Path wrongPin = Files.writeString(tmp.resolve("wrong-pin"), "0000\n");
        init[init.length - 1] = hsm.uri("release", "root-ec").replace(hsm.pinFile.toString(), wrongPin.toString());
        assertOneLineError(hsm.flotilla(init), "cannot log in to the token: wrong PIN");
        init[init.length - 1] = hsm.uri("release", "no-such-key");
        assertOneLineError(hsm.flotilla(init), "the token has no private key labelled 'no-such-key'");
        init[init.length - 1] = hsm.uri("no-such-token", "root-ec");
        assertOneLineError(hsm.flotilla(init), "has no token labelled 'no-such-token' (tokens: 'release')");
        init[init.length - 1] = "pkcs11:token=release;object=root-ec?module-path=" + SoftHsm.MODULE + "&pin-value=1234";
        CliRun pinValue = hsm.flotilla(init);
        assertOneLineError(pinValue, "pin-value would put the PIN on the command line");
        assertThat(pinValue.err()).doesNotContain("1234");
        init[init.length - 1] = "pkcs11:token=release;object=root-ec?module-path=" + SoftHsm.MODULE;
        assertOneLineError(hsm.flotilla(init), "no PIN: add ?pin-source=FILE to the URI or set FLOTILLA_PKCS11_PIN");
        init[init.length - 1] = "pkcs11:token=release;object=root-ec";
        assertOneLineError(hsm.flotilla(Map.of("FLOTILLA_PKCS11_PIN", SoftHsm.PIN), init), "no PKCS#11 module");
        // the token's key is a valid signer, but not a root key of this root
        init[init.length - 1] = hsm.uri("release", "root-ec");
        assertThat(hsm.flotilla(init).exitCode()).isNotZero();
        assertThat(repo.resolve("root.json")).doesNotExist();
    }

    @Test
    void withoutTheJdkExportASlotIdStillWorksAndATokenLabelSaysWhatIsMissing() throws Exception {
        Path repo = tmp.resolve("by-slot");
        String bySlot = "pkcs11:slot-id=" + hsm.slot("release") + ";object=root-ec?module-path=" + SoftHsm.MODULE
                + "&pin-source=" + hsm.pinFile;
        Object[] init = {"trust", "init", "--out", repo, "--root-key", bySlot, "--targets-key", fx.pub("snapshot"),
                "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"), "--sign-with", bySlot};
        ok(hsm.run(false, Map.of(), init));
        Metadata<Root> root = Metadata.fromBytes(Files.readAllBytes(repo.resolve("1.root.json")), Root.class);
        Metadata.verifyThreshold("root", root.signed().role("root"), root.signed().keys(), root);
        assertOneLineError(hsm.run(false, Map.of(), "trust", "sign", "--draft", repo.resolve("1.root.json"),
                "--key", hsm.uri("release", "root-ec")), "the JVM needs --add-exports"
                + " jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED");
    }

    private static Metadata<Targets> latestTargets(Path repo) throws Exception {
        long version;
        try (var files = Files.list(repo)) {
            version = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d+\\.targets\\.json"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, n.indexOf('.')))).max().orElseThrow();
        }
        return Metadata.fromBytes(Files.readAllBytes(repo.resolve(version + ".targets.json")), Targets.class);
    }

    private static void verifyTargets(Path repo, Root root, String target) throws Exception {
        Metadata<Targets> targets = latestTargets(repo);
        Metadata.verifyThreshold("targets", root.role("targets"), root.keys(), targets);
        assertThat(targets.signed().targets()).containsKey(target);
        Key snapshot = KeyFiles.loadPublicKey(fx.pub("snapshot"));
        assertThat(root.role("snapshot").keyids()).containsExactly(snapshot.keyId());
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.err()).isEmpty();
    }
}
