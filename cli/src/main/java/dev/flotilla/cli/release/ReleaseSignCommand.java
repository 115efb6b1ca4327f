package dev.flotilla.cli.release;

import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.TargetContent;
import dev.flotilla.core.tuf.repo.TargetFiles;
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
 */
@Command(name = "sign",
        description = "Add a firmware image to the repository and sign the targets metadata.")
public final class ReleaseSignCommand extends ToolCommand {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "Repository directory")
    Path repoDir;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "Firmware image")
    Path image;

    @Option(names = "--version", required = true, paramLabel = "V", description = "Image version, e.g. 1.4.2")
    String version;

    @Option(names = "--hardware", required = true, paramLabel = "H", description = "Hardware id (repeatable)")
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

    @Option(names = "--targets-key", required = true, arity = "1..*", paramLabel = "PRIVATE",
            description = "Private key files of the role; together they must meet its threshold")
    List<Path> targetsKeys;

    @Option(names = "--snapshot-key", paramLabel = "PRIVATE", description = "Also issue a snapshot (offline key)")
    Path snapshotKey;

    @Option(names = "--timestamp-key", paramLabel = "PRIVATE", description = "Also issue a timestamp (offline key)")
    Path timestampKey;

    @Override
    protected int execute() throws Exception {
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

    private static void requireSameContentIfPresent(Targets targets, String path, TargetFile file) {
        TargetFile existing = targets.targets().get(path);
        if (existing != null && !(existing.length() == file.length() && file.sha256().equals(existing.sha256()))) {
            throw new IllegalStateException("target '" + path + "' already exists with other content; "
                    + "publish new images under a new name");
        }
    }
}
