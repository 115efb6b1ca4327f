package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.JsonOutput;
import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.TargetContent;
import dev.flotilla.core.tuf.repo.TargetFiles;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code flotilla release publish}: fetches the current targets metadata from the server, checks that it
 * carries the operator's own targets signatures (so a compromised server cannot slip entries into what
 * the operator signs), adds the image, signs the next version offline, uploads the image with a progress
 * bar and then the targets metadata. The server re-signs snapshot and timestamp.
 */
@Command(name = "publish", description = "Sign a firmware image into the server's targets metadata and upload it.")
public final class ReleasePublishCommand extends ToolCommand {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /** The server and a release-manager (or admin) API token. */
    @Mixin
    ServerOptions connection;

    @Option(names = "--image", required = true, paramLabel = "FILE")
    Path image;

    @Option(names = "--version", required = true, paramLabel = "V")
    String version;

    @Option(names = "--hardware", required = true, paramLabel = "H", description = "Hardware id (repeatable)")
    List<String> hardware;

    @Option(names = "--security-version", defaultValue = "0", paramLabel = "N")
    long securityVersion;

    @Option(names = "--min-installed-version", paramLabel = "V")
    String minInstalledVersion;

    @Option(names = "--name", paramLabel = "TARGET_PATH", description = "Target path (default: the image file name)")
    String name;

    @Option(names = "--targets-key", required = true, arity = "1..*", paramLabel = "PRIVATE",
            description = "Private targets key files; together they must meet the targets threshold")
    List<Path> targetsKeys;

    @Option(names = "--no-progress", description = "Do not show a progress bar")
    boolean noProgress;

    @Mixin
    JsonOutput json;

    @Override
    protected int execute() throws Exception {
        if (Files.isDirectory(image)) {
            throw new IllegalArgumentException(image + ": is a directory; --image takes the firmware image file");
        }
        if (!Files.isRegularFile(image)) {
            throw new NoSuchFileException(image.toString());
        }
        FirmwareInfo info = new FirmwareInfo(hardware, version, securityVersion, minInstalledVersion);
        List<Signer> signers = KeyArgs.signers(targetsKeys);
        String path = name != null ? name : image.getFileName().toString();
        ServerClient client = connection.client();

        Optional<Metadata<Targets>> current = ServerMetadata.currentTargets(client);
        current.ifPresent(md -> requireOwnSignatures(md, signers));
        TargetFile file = TargetFiles.describe(TargetContent.of(image), info.toCustom());
        Map<String, TargetFile> files = new LinkedHashMap<>(current.map(md -> md.signed().targets()).orElse(Map.of()));
        TargetFile existing = files.get(path);
        if (existing != null) {
            throw new IllegalStateException(existing.sameContentAs(file)
                    ? "target '" + path + "' is already published with these bytes (version "
                            + FirmwareInfo.fromTarget(existing).version() + "); a published target never changes:"
                            + " publish a new version under a new name (--name)"
                    : "target '" + path + "' is already published with other content; publish new images under a new"
                            + " name (--name)");
        }
        files.put(path, file);
        long next = current.map(md -> md.signed().version() + 1).orElse(1L);
        Metadata<Targets> md = Metadata.of(new Targets(Signed.SPEC_VERSION, next,
                Clock.systemUTC().instant().plus(ExpiryPolicy.defaults().targets()).truncatedTo(ChronoUnit.SECONDS),
                files, current.map(c -> c.signed().delegations()).orElse(null), Map.of()));
        for (Signer s : signers) {
            md = md.sign(s);
        }

        JsonNode release;
        try (Cancellation cancel = new Cancellation(spec.commandLine().getErr())) {
            JsonNode upload = upload(client, path);
            ObjectNode body = CanonicalJson.mapper().createObjectNode();
            body.put("uploadId", upload.path("uploadId").asText());
            body.put("path", path);
            body.set("targets", CanonicalJson.parse(md.toBytes()));
            cancel.publishing();
            release = client.sendJson("POST", "/api/v1/releases", CanonicalJson.mapper().writeValueAsBytes(body));
        }
        if (json.given()) {
            json.print(out(), release);
            return 0;
        }
        out().println("published " + path + " (" + release.path("length").asLong() + " bytes, sha256 "
                + release.path("sha256").asText() + ") as targets version " + next);
        return 0;
    }

    /** Uploads the image, with a progress bar on stderr unless --no-progress. */
    private JsonNode upload(ServerClient client, String path) throws IOException {
        long length = Files.size(image);
        if (noProgress) {
            return client.upload("/api/v1/releases/images", () -> open(image), length);
        }
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName("upload " + path).setInitialMax(length)
                .setUnit(" KiB", 1024).setStyle(ProgressBarStyle.ASCII).setConsumer(
                        new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err));
        return client.upload("/api/v1/releases/images", () -> ProgressBar.wrap(open(image), bar), length);
    }

    private static InputStream open(Path p) {
        try {
            return Files.newInputStream(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }



    /** Requires the given targets keys' signatures on the server's current targets before signing on top of it. */
    static void requireOwnSignatures(Metadata<Targets> md, List<Signer> signers) {
        ServerMetadata.requireSignedBy(md, signers.stream().map(Signer::publicKey).toList(),
                "the server's current targets", "refusing to sign on top of it");
    }
}
