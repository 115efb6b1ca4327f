package dev.flotilla.cli.trust;

import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.RoleKeys;
import dev.flotilla.core.tuf.repo.TopLevelKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * {@code flotilla trust rotate}: writes the next root version with the roles' keys replaced as given
 * (roles not mentioned keep theirs), signed by the previous root's threshold and the new one's.
 */
@Command(name = "rotate", mixinStandardHelpOptions = true,
        description = "Issue a new root version (new keys or thresholds), signed by old and new root keys.")
public final class TrustRotateCommand extends ToolCommand {
    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "Repository directory")
    Path repoDir;

    @Option(names = "--root-key", arity = "1..*", paramLabel = "PUB")
    List<Path> rootKeys;

    @Option(names = "--root-threshold", paramLabel = "N")
    Integer rootThreshold;

    @Option(names = "--targets-key", arity = "1..*", paramLabel = "PUB")
    List<Path> targetsKeys;

    @Option(names = "--targets-threshold", paramLabel = "N")
    Integer targetsThreshold;

    @Option(names = "--snapshot-key", arity = "1..*", paramLabel = "PUB")
    List<Path> snapshotKeys;

    @Option(names = "--timestamp-key", arity = "1..*", paramLabel = "PUB")
    List<Path> timestampKeys;

    @Option(names = "--sign-with", required = true, arity = "1..*", paramLabel = "PRIVATE",
            description = "Private root key files, old and new: each root's threshold must be met")
    List<Path> signWith;

    @Override
    protected int execute() throws Exception {
        List<KeySigner> signers = KeyArgs.signers(signWith);
        Repository repo = RepositoryLayout.load(repoDir, Clock.systemUTC(), ExpiryPolicy.defaults());
        TopLevelKeys keys = repo.topLevelKeys();
        keys = keys.with("root", replace("root", keys.root(), rootKeys, rootThreshold));
        keys = keys.with("targets", replace("targets", keys.targets(), targetsKeys, targetsThreshold));
        keys = keys.with("snapshot", replace("snapshot", keys.snapshot(), snapshotKeys, null));
        keys = keys.with("timestamp", replace("timestamp", keys.timestamp(), timestampKeys, null));
        repo.rotateRoot(keys);
        repo.sign("root", signers);
        repo.requireSigned("root");
        RepositoryLayout.write(repo, repoDir);
        long version = repo.root().signed().version();
        out().println("wrote root version " + version + " to " + repoDir.resolve(version + ".root.json"));
        return 0;
    }

    private static RoleKeys replace(String role, RoleKeys current, List<Path> files, Integer threshold) {
        if (files == null && threshold == null) {
            return current;
        }
        if (files == null) {
            try {
                return new RoleKeys(current.keys(), threshold);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(role + ": " + e.getMessage(), e);
            }
        }
        return KeyArgs.roleKeys(role, files, threshold == null ? 1 : threshold);
    }
}
