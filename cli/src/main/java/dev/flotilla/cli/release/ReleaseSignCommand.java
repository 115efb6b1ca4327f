package dev.flotilla.cli.release;

import dev.flotilla.cli.support.Drafts;
import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.TargetContent;
import dev.flotilla.core.tuf.repo.TargetFiles;
import dev.flotilla.core.tuf.client.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * {@code flotilla release sign}: adds a firmware image as a target (with its firmware fields) and signs
 * the new targets metadata. Given the snapshot and timestamp keys as well, it also issues a new snapshot
 * and timestamp, so that the directory is a complete repository (for tests and demos; in production the
 * server holds those online keys).
 *
 * <p>With {@code --draft FILE} it instead signs a targets draft ({@code release publish --draft}) on the key
 * holder's own machine: no server, no repository and no other keys needed. With {@code --root} the key and the
 * draft's existing signatures are checked against that root's targets role first.
 */
@Command(name = "sign",
        description = "Add a firmware image to the repository and sign the targets metadata, or sign a targets draft.",
        footer = {"", "Examples:",
                "  flotilla release sign --repo repo --image fw.bin --version 1.2.0 \\",
                "      --hardware board-a --targets-key keys/targets.pem",
                "  # a targets key holder signs a draft on their own machine",
                "  # (--key takes a key file or a pkcs11: URI):",
                "  flotilla release sign --draft fw.draft.json --key alice.pem \\",
                "      --root 1.root.json --out alice.json"})
public final class ReleaseSignCommand extends ToolCommand {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--repo", paramLabel = "DIR", description = "Repository directory")
    Path repoDir;

    @Option(names = "--image", paramLabel = "FILE", description = "Firmware image")
    Path image;

    @Option(names = "--version", paramLabel = "V", description = "Image version, e.g. 1.4.2")
    String version;

    @Option(names = "--hardware", paramLabel = "H", description = "Hardware id (repeatable)")
    List<String> hardware;

    @Option(names = "--security-version", defaultValue = "0", paramLabel = "N",
            description = "Anti-rollback counter (default ${DEFAULT-VALUE})")
    long securityVersion;

    @Option(names = "--min-installed-version", paramLabel = "V")
    String minInstalledVersion;

    @Option(names = "--name", paramLabel = "TARGET_PATH", description = "Target path (default: the image file name)")
    String name;

    @Option(names = "--role", defaultValue = "targets", paramLabel = "ROLE",
            description = "Targets role to add the image to (default ${DEFAULT-VALUE})")
    String role;

    @Option(names = {"--targets-key", "--key"}, required = true, arity = "1..*", paramLabel = "PRIVATE",
            description = "Private keys of the role (files or pkcs11: URIs); together they must meet its threshold,"
                    + " except when signing a --draft")
    List<Path> targetsKeys;

    @Option(names = "--draft", paramLabel = "FILE",
            description = "Sign this targets draft ('release publish --draft') instead of a repository")
    Path draft;

    @Option(names = "--root", paramLabel = "FILE",
            description = "With --draft: the trusted root, to check that your key is a targets key (and the draft's signatures)")
    Path root;

    @Option(names = "--out", paramLabel = "FILE", description = "With --draft: write the signed draft here (default: --draft)")
    Path out;

    @Option(names = "--snapshot-key", paramLabel = "PRIVATE", description = "Also issue a snapshot (offline key)")
    Path snapshotKey;

    @Option(names = "--timestamp-key", paramLabel = "PRIVATE", description = "Also issue a timestamp (offline key)")
    Path timestampKey;

    @Override
    protected int execute() throws Exception {
        if (draft != null) {
            return signDraft();
        }
        if (root != null || out != null) {
            throw new IllegalArgumentException("--root and --out go with --draft");
        }
        if (repoDir == null || image == null || version == null || hardware == null) {
            throw new IllegalArgumentException("give --repo, --image, --version and --hardware (or --draft FILE to sign"
                    + " a targets draft)");
        }
        if ((snapshotKey == null) != (timestampKey == null)) {
            throw new IllegalArgumentException("give both --snapshot-key and --timestamp-key, or neither");
        }
        if (!Files.isRegularFile(image)) {
            throw new NoSuchFileException(image.toString());
        }
        FirmwareInfo info = new FirmwareInfo(hardware, version, securityVersion, minInstalledVersion);
        List<Signer> signers = KeyArgs.signers(targetsKeys);
        Signer snapshotSigner = snapshotKey == null ? null : KeyArgs.signer(snapshotKey);
        Signer timestampSigner = timestampKey == null ? null : KeyArgs.signer(timestampKey);
        String path = name != null ? name : image.getFileName().toString();

        Repository repo = RepositoryLayout.load(repoDir, Clock.systemUTC(), ExpiryPolicy.defaults());
        TargetContent content = TargetContent.of(image);
        TargetFile file = TargetFiles.describe(content, info.toCustom());
        requireSameContentIfPresent(repo.targets(role).signed(), path, file);
        repo.addTarget(role, path, file, content);
        repo.sign(role, signers);
        repo.requireSigned(role);
        if (snapshotSigner != null) {
            repo.refreshSnapshot(true);
            repo.sign("snapshot", snapshotSigner);
            repo.refreshTimestamp();
            repo.sign("timestamp", timestampSigner);
        }
        RepositoryLayout.write(repo, repoDir);
        out().println("signed " + path + " (" + file.length() + " bytes, sha256 " + file.sha256() + ") into "
                + role + " version " + repo.targets(role).signed().version()
                + (snapshotSigner != null ? ", snapshot version " + repo.snapshot().orElseThrow().signed().version() : ""));
        return 0;
    }

    /** Signs a targets draft with the given keys, checked against {@code --root} when given. */
    private int signDraft() throws Exception {
        for (String option : List.of("--repo", "--image", "--version", "--hardware", "--security-version",
                "--min-installed-version", "--name", "--role", "--snapshot-key", "--timestamp-key")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new IllegalArgumentException(option + " does not go with --draft (the draft holds the release)");
            }
        }
        Metadata<Targets> md = Drafts.read(draft, Targets.class);
        Root trusted = root == null ? null : Drafts.read(root, Root.class).signed();
        if (trusted != null) {
            md = Drafts.combine(draft, md, List.of(), Targets.class, TargetsDrafts.eligible(trusted));
        }
        out().println("signing " + TargetsDrafts.summary(md.signed()));
        List<Signer> signers = KeyArgs.signers(targetsKeys);
        md = trusted != null ? Drafts.sign(md, signers, TargetsDrafts.eligible(trusted)) : signOnly(md, signers);
        Path target = out != null ? out : draft;
        AtomicFiles.write(target, md.toBytes());
        out().println("wrote " + target + ": " + (trusted != null ? TargetsDrafts.status(md, trusted)
                : md.signatures().size() + " signature(s); 'release publish --draft' checks them against the server's"
                + " root (give --root FILE to check here)"));
        return 0;
    }

    private static Metadata<Targets> signOnly(Metadata<Targets> md, List<Signer> signers) {
        for (Signer s : signers) {
            md = md.sign(s);
        }
        return md;
    }

    private static void requireSameContentIfPresent(Targets targets, String path, TargetFile file) {
        TargetFile existing = targets.targets().get(path);
        if (existing != null && !(existing.length() == file.length() && file.sha256().equals(existing.sha256()))) {
            throw new IllegalStateException("target '" + path + "' already exists with other content; "
                    + "publish new images under a new name");
        }
    }
}
