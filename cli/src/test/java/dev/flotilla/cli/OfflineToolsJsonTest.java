package dev.flotilla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Targets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --json} on the offline tools ({@code keys generate}, {@code release sign}, {@code trust sign}, and
 * {@code trust init}, {@code rotate} and {@code publish} on a repository directory or a draft): stdout is
 * one line of JSON describing what was written, the readable lines go to stderr, and without {@code --json} stdout
 * stays the readable lines.
 */
class OfflineToolsJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    private static JsonNode json(CliRun run) throws Exception {
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).doesNotContain("\n");
        return JSON.readTree(run.out());
    }

    @Test
    void keysGenerate() throws Exception {
        CliRun run = CliRun.of("keys", "generate", "--type", "ecdsa", "--out", tmp, "--name", "k", "--json");
        JsonNode j = json(run);
        String keyId = KeyFiles.loadSigner(tmp.resolve("k.pem")).keyId();
        assertThat(j.path("keyId").asText()).isEqualTo(keyId);
        assertThat(j.path("keyType").asText()).isEqualTo("ecdsa-p256");
        assertThat(j.path("privateKey").asText()).isEqualTo(tmp.resolve("k.pem").toString());
        assertThat(j.path("publicKey").asText()).isEqualTo(tmp.resolve("k.pub.json").toString());
        assertThat(run.err()).contains("key id:      " + keyId);
        assertThat(CliRun.of("keys", "generate", "--type", "ed25519", "--out", tmp, "--name", "t").out())
                .startsWith("private key: ");
    }

    @Test
    void releaseSignIntoARepositoryAndADraft() throws Exception {
        CliFixture fx = new CliFixture(tmp.resolve("fx")).init();
        Path image = Files.writeString(tmp.resolve("fw.bin"), "firmware");
        CliRun run = CliRun.of("release", "sign", "--repo", fx.repo, "--image", image, "--version", "1.0",
                "--hardware", "board-a", "--targets-key", fx.key("targets"), "--snapshot-key", fx.key("snapshot"),
                "--timestamp-key", fx.key("timestamp"), "--json");
        JsonNode j = json(run);
        Metadata<Targets> written = Metadata.fromBytes(Files.readAllBytes(fx.repo.resolve("1.targets.json")),
                Targets.class);
        assertThat(j.path("targetPath").asText()).isEqualTo("fw.bin");
        assertThat(j.path("length").asLong()).isEqualTo(8);
        assertThat(j.path("sha256").asText()).isEqualTo(written.signed().targets().get("fw.bin").sha256());
        assertThat(j.path("role").asText()).isEqualTo("targets");
        assertThat(j.path("version").asLong()).isEqualTo(1).isEqualTo(written.signed().version());
        assertThat(j.path("snapshotVersion").asLong()).isEqualTo(JSON.readTree(fx.repo.resolve("timestamp.json")
                .toFile()).path("signed").path("meta").path("snapshot.json").path("version").asLong()).isPositive();
        assertThat(run.err()).contains("signed fw.bin (8 bytes");

        // the targets just written, without their signatures, as a draft for the targets key holder
        ObjectNode draft = (ObjectNode) JSON.readTree(fx.repo.resolve("1.targets.json").toFile());
        draft.putArray("signatures");
        Path draftFile = tmp.resolve("draft.json");
        Files.write(draftFile, JSON.writeValueAsBytes(draft));
        CliRun signed = CliRun.of("release", "sign", "--draft", draftFile, "--key", fx.key("targets"),
                "--root", fx.repo.resolve("1.root.json"), "--out", tmp.resolve("signed.json"), "--json");
        JsonNode s = json(signed);
        String targetsKey = KeyFiles.loadSigner(fx.key("targets")).keyId();
        assertThat(s.path("file").asText()).isEqualTo(tmp.resolve("signed.json").toString());
        assertThat(s.path("version").asLong()).isEqualTo(1);
        assertThat(s.path("expires").asText()).isEqualTo(written.signed().expires().toString());
        assertThat(s.path("signatures")).hasSize(1);
        assertThat(s.path("signatures").path(0).asText()).isEqualTo(targetsKey);
        assertThat(s.path("validSignatures").asInt()).isEqualTo(1);
        assertThat(s.path("threshold").asInt()).isEqualTo(1);
        assertThat(signed.err()).contains("signing targets version 1").contains("wrote ");
    }

    @Test
    void trustSignCountsTheSignaturesAgainstTheThreshold() throws Exception {
        CliFixture fx = new CliFixture(tmp.resolve("fx")).init(); // root1..3, 2 of 3
        Path draft = tmp.resolve("root-2.json");
        assertThat(CliRun.of("trust", "rotate", "--repo", fx.repo, "--targets-key", fx.pub("timestamp"), "--draft",
                draft).exitCode()).isZero();
        CliRun one = CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("root3"), "--json");
        JsonNode j = json(one);
        assertThat(j.path("file").asText()).isEqualTo(draft.toString());
        assertThat(j.path("version").asLong()).isEqualTo(2);
        assertThat(j.path("signatures")).hasSize(1);
        assertThat(j.path("signatures").path(0).asText()).isEqualTo(KeyFiles.loadSigner(fx.key("root3")).keyId());
        assertThat(j.path("validSignatures").asInt()).isEqualTo(1);
        assertThat(j.path("threshold").asInt()).isEqualTo(2);
        assertThat(j.has("previous")).isFalse();
        assertThat(one.err()).contains("root version 2: 1 of 2 required signature(s)");

        JsonNode two = json(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("root2"), "--previous-root",
                fx.repo.resolve("1.root.json"), "--json"));
        assertThat(two.path("validSignatures").asInt()).isEqualTo(2);
        assertThat(two.path("previous").path("version").asLong()).isEqualTo(1);
        assertThat(two.path("previous").path("validSignatures").asInt()).isEqualTo(2);
        assertThat(two.path("previous").path("threshold").asInt()).isEqualTo(2);
        Metadata<Root> onDisk = Metadata.fromBytes(Files.readAllBytes(draft), Root.class);
        assertThat(onDisk.signatures()).hasSize(2);
    }

    private static Metadata<Root> root(Path file) throws Exception {
        return Metadata.fromBytes(Files.readAllBytes(file), Root.class);
    }

    /** The key id of a private key file. */
    private static String id(Path key) throws Exception {
        return KeyFiles.loadSigner(key).keyId();
    }

    @Test
    void trustInitRotateAndPublishOnARepositoryDirectory() throws Exception {
        CliFixture fx = new CliFixture(tmp.resolve("fx"));
        fx.generate("ed25519", "root1", "root2", "targets", "snapshot", "timestamp");
        CliRun init = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key",
                fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"),
                "--sign-with", fx.key("root1"), "--json");
        JsonNode i = json(init);
        Metadata<Root> first = Metadata.fromBytes(Files.readAllBytes(fx.repo.resolve("1.root.json")), Root.class);
        assertThat(i.path("file").asText()).isEqualTo(fx.repo.resolve("1.root.json").toString());
        assertThat(i.path("version").asLong()).isEqualTo(1);
        assertThat(i.path("expires").asText()).isEqualTo(first.signed().expires().toString());
        assertThat(i.path("signatures")).hasSize(1);
        assertThat(i.path("signatures").path(0).asText()).isEqualTo(id(fx.key("root1")));
        assertThat(i.path("validSignatures").asInt()).isEqualTo(1);
        assertThat(i.path("threshold").asInt()).isEqualTo(1);
        assertThat(i.has("previous")).isFalse();
        assertThat(init.err()).contains("wrote root version 1 to ");

        // rotate to root2, signed by the old and the new root key
        CliRun rotate = CliRun.of("trust", "rotate", "--repo", fx.repo, "--root-key", fx.pub("root2"), "--sign-with",
                fx.key("root1"), fx.key("root2"), "--json");
        JsonNode r = json(rotate);
        assertThat(r.path("file").asText()).isEqualTo(fx.repo.resolve("2.root.json").toString());
        assertThat(r.path("version").asLong()).isEqualTo(2);
        assertThat(r.path("signatures")).hasSize(2);
        assertThat(r.path("validSignatures").asInt()).isEqualTo(1); // root2's signature, by the new root role
        assertThat(r.path("previous").path("version").asLong()).isEqualTo(1);
        assertThat(r.path("previous").path("validSignatures").asInt()).isEqualTo(1); // root1's
        assertThat(Metadata.fromBytes(Files.readAllBytes(fx.repo.resolve("root.json")), Root.class).signed().version())
                .isEqualTo(2);
        assertThat(rotate.err()).contains("wrote root version 2 to ");

        // a draft of version 3 (a new targets key), signed by root2 on its own, then published into the repository
        Path draft = tmp.resolve("root-3.json");
        JsonNode d = json(CliRun.of("trust", "rotate", "--repo", fx.repo, "--targets-key", fx.pub("timestamp"),
                "--draft", draft, "--json"));
        assertThat(d.path("file").asText()).isEqualTo(draft.toString());
        assertThat(d.path("version").asLong()).isEqualTo(3);
        assertThat(d.path("expires").asText()).isEqualTo(root(draft).signed().expires().toString());
        assertThat(d.path("signatures")).isEmpty();
        assertThat(d.path("validSignatures").asInt()).isZero();
        assertThat(d.path("previous").path("version").asLong()).isEqualTo(2);
        assertThat(fx.repo.resolve("3.root.json")).doesNotExist();
        Path signed = tmp.resolve("root-3-signed.json");
        assertThat(CliRun.of("trust", "sign", "--draft", draft, "--key", fx.key("root2"), "--out", signed).exitCode())
                .isZero();
        CliRun publish = CliRun.of("trust", "publish", "--draft", draft, "--signed", signed, "--repo", fx.repo, "--json");
        JsonNode p = json(publish);
        assertThat(p.path("file").asText()).isEqualTo(fx.repo.resolve("3.root.json").toString());
        assertThat(p.path("version").asLong()).isEqualTo(3);
        assertThat(p.path("signatures")).hasSize(1);
        assertThat(p.path("signatures").path(0).asText()).isEqualTo(id(fx.key("root2")));
        assertThat(p.path("validSignatures").asInt()).isEqualTo(1);
        assertThat(p.path("previous").path("version").asLong()).isEqualTo(2);
        assertThat(p.path("previous").path("validSignatures").asInt()).isEqualTo(1);
        assertThat(fx.repo.resolve("3.root.json")).exists();
        assertThat(publish.err()).contains("wrote root version 3 to ");

        // without --json stdout stays the readable lines
        assertThat(CliRun.of("trust", "rotate", "--repo", fx.repo, "--sign-with", fx.key("root2")).out())
                .startsWith("wrote root version 4 to ");
    }
}
