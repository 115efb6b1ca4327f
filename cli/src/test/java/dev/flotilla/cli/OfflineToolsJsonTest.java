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
 * {@code --json} on the offline tools ({@code keys generate}, {@code release sign}, {@code trust sign}): stdout is
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
}
