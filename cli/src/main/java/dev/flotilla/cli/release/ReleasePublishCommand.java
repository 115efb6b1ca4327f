package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.Drafts;
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
import dev.flotilla.core.tuf.Root;
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
 *
 * <p>With {@code --draft FILE} instead of {@code --targets-key} it writes the next version unsigned, as a draft
 * for each targets key holder to sign on their own machine ({@code release sign --draft}); the server's current
 * targets must then meet its root's targets threshold. {@code --draft FILE} without {@code --version} publishes
 * such a draft, combined with its signed copies, once it meets the threshold of the server's root's targets role.
 */
@Command(name = "publish", description = "Sign a firmware image into the server's targets metadata and upload it.",
        footer = {"", "Examples:",
                "  flotilla release publish --server URL --token T --image fw.bin \\",
                "      --version 1.2.0 --hardware board-a --targets-key keys/targets.pem",
                "  # targets key holders on separate machines: write a draft (no key needed,",
                "  # nothing uploaded); each holder signs a copy with 'release sign --draft'",
                "  flotilla release publish --server URL --token T --image fw.bin \\",
                "      --version 1.2.0 --hardware board-a --draft fw.draft.json",
                "  # once the copies meet the targets threshold, publish the draft:",
                "  flotilla release publish --server URL --token T --draft fw.draft.json \\",
                "      --signed alice.json bob.json --image fw.bin"})
public final class ReleasePublishCommand extends ToolCommand {
    private static final List<String> RELEASE_FIELDS = List.of("--hardware", "--security-version",
            "--min-installed-version", "--name");

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /** The server and a release-manager (or admin) API token. */
    @Mixin
    ServerOptions connection;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Firmware image (when publishing a draft: only for a draft that adds a release)")
    Path image;

    @Option(names = "--version", paramLabel = "V", description = "Release version (not when publishing a draft)")
    String version;

    @Option(names = "--hardware", paramLabel = "H", description = "Hardware id (repeatable)")
    List<String> hardware;

    @Option(names = "--security-version", defaultValue = "0", paramLabel = "N")
    long securityVersion;

    @Option(names = "--min-installed-version", paramLabel = "V")
    String minInstalledVersion;

    @Option(names = "--name", paramLabel = "TARGET_PATH", description = "Target path (default: the image file name)")
    String name;

    @Option(names = "--targets-key", arity = "1..*", paramLabel = "PRIVATE",
            description = "Private targets keys (files or pkcs11: URIs); together they must meet the targets threshold")
    List<Path> targetsKeys;

    @Option(names = "--draft", paramLabel = "FILE",
            description = "Instead of --targets-key: with --version, write the new targets unsigned to FILE for each"
                    + " targets key holder to sign with 'release sign --draft' (nothing is uploaded); without"
                    + " --version, publish that draft once it and the --signed copies meet the targets threshold")
    Path draft;

    @Option(names = "--signed", arity = "1..*", paramLabel = "FILE",
            description = "With --draft: copies of the draft signed by others")
    List<Path> signed;

    @Option(names = "--no-progress", description = "Do not show a progress bar")
    boolean noProgress;

    @Mixin
    JsonOutput json;

    @Override
    protected int execute() throws Exception {
        if ((targetsKeys == null) == (draft == null)) {
            throw new IllegalArgumentException("give either --targets-key (sign here) or --draft FILE (targets key"
                    + " holders sign the draft on their own machines)");
        }
        if (signed != null && (draft == null || version != null)) {
            throw new IllegalArgumentException("--signed goes with --draft FILE when publishing a draft (without --version)");
        }
        if (image != null && Files.isDirectory(image)) {
            throw new IllegalArgumentException(image + ": is a directory; --image takes the firmware image file");
        }
        if (image != null && !Files.isRegularFile(image)) {
            throw new NoSuchFileException(image.toString());
        }
        if (draft != null && version == null) {
            for (String option : RELEASE_FIELDS) {
                if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                    throw new IllegalArgumentException(option + " describes a new release: give --version too to"
                            + " write a draft (a draft to publish already holds the release's fields)");
                }
            }
            return publishDraft(connection.client());
        }
        if (image == null || version == null || hardware == null) {
            throw new IllegalArgumentException("give the release's --image, --version and --hardware");
        }
        return publishNew();
    }

    private int publishNew() throws Exception {
        FirmwareInfo info = new FirmwareInfo(hardware, version, securityVersion, minInstalledVersion);
        List<Signer> signers = targetsKeys == null ? List.of() : KeyArgs.signers(targetsKeys);
        String path = name != null ? name : image.getFileName().toString();
        ServerClient client = connection.client();

        Optional<Metadata<Targets>> current = ServerMetadata.currentTargets(client);
        if (draft == null) {
            current.ifPresent(md -> requireOwnSignatures(md, signers));
        } else if (current.isPresent()) {
            TargetsDrafts.requireCurrentSigned(client, current.get());
        }
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
        if (draft != null) {
            return TargetsDrafts.write(out(), draft, md, image);
        }
        for (Signer s : signers) {
            md = md.sign(s);
        }
        return send(client, path, md);
    }

    /**
     * Combines the draft with its signed copies and, once the root's targets threshold is met, publishes what it
     * changes: a new release (with its image), a deletion or a re-signing.
     */
    private int publishDraft(ServerClient client) throws Exception {
        Metadata<Targets> md = Drafts.read(draft, Targets.class);
        Root root = TargetsDrafts.serverRoot(client);
        md = Drafts.combine(draft, md, signed == null ? List.of() : signed, Targets.class, TargetsDrafts.eligible(root));
        out().println(TargetsDrafts.status(md, root));
        Targets current = ServerMetadata.currentTargets(client).map(Metadata::signed).orElse(null);
        Drafts.requireNext(md.signed(), current == null ? 0 : current.version());
        TargetsDrafts.Change change = TargetsDrafts.change(md.signed(), current);
        if (image != null && !(change instanceof TargetsDrafts.Change.Added)) {
            throw new IllegalArgumentException("the draft adds no release: leave out --image");
        }
        TargetsDrafts.requireThreshold(md, root);
        return switch (change) {
            case TargetsDrafts.Change.Added added -> sendAdded(client, added, md);
            case TargetsDrafts.Change.Dropped dropped -> ReleaseDeleteCommand.send(client, dropped.path(), md, out(), json);
            case TargetsDrafts.Change.Unchanged unchanged -> ReleaseRefreshCommand.send(client, md, out(),
                    spec.commandLine().getErr(), json);
        };
    }

    private int sendAdded(ServerClient client, TargetsDrafts.Change.Added added, Metadata<Targets> md) throws IOException {
        if (image == null) {
            throw new IllegalArgumentException("the draft adds '" + added.path() + "': give its image with --image FILE");
        }
        TargetFile file = TargetFiles.describe(TargetContent.of(image), added.file().custom());
        if (!file.sameContentAs(added.file())) {
            throw new IllegalArgumentException(image + ": is not the image the draft adds as '" + added.path() + "' ("
                    + added.file().length() + " bytes, sha256 " + added.file().sha256() + ")");
        }
        return send(client, added.path(), md);
    }

    /** Uploads the image, then the signed targets that add it as {@code path}; exit code 0. */
    private int send(ServerClient client, String path, Metadata<Targets> md) throws IOException {
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
                + release.path("sha256").asText() + ") as targets version " + md.signed().version());
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
