package dev.flotilla.cli.trust;

import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.TopLevelKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** {@code flotilla trust init}: writes a signed root version 1 ({@code 1.root.json} and {@code root.json}). */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create root version 1 of a new repository, signed by the given root keys.")
public final class TrustInitCommand extends ToolCommand {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Repository directory")
    Path out;

    @Option(names = "--root-key", required = true, arity = "1..*", paramLabel = "PUB", description = "Root public keys")
    List<Path> rootKeys;

    @Option(names = "--root-threshold", defaultValue = "1", paramLabel = "N")
    int rootThreshold;

    @Option(names = "--targets-key", required = true, arity = "1..*", paramLabel = "PUB")
    List<Path> targetsKeys;

    @Option(names = "--targets-threshold", defaultValue = "1", paramLabel = "N")
    int targetsThreshold;

    @Option(names = "--snapshot-key", required = true, arity = "1..*", paramLabel = "PUB")
    List<Path> snapshotKeys;

    @Option(names = "--timestamp-key", required = true, arity = "1..*", paramLabel = "PUB")
    List<Path> timestampKeys;

    @Option(names = "--sign-with", required = true, arity = "1..*", paramLabel = "PRIVATE",
            description = "Private root key files; together they must meet the root threshold")
    List<Path> signWith;

    @Override
    protected int execute() throws Exception {
        if (Files.exists(out.resolve("1.root.json")) || Files.exists(out.resolve("root.json"))) {
            throw new IllegalStateException(out + " already holds a root (use 'flotilla trust rotate')");
        }
        TopLevelKeys keys = new TopLevelKeys(
                KeyArgs.roleKeys("root", rootKeys, rootThreshold),
                KeyArgs.roleKeys("targets", targetsKeys, targetsThreshold),
                KeyArgs.roleKeys("snapshot", snapshotKeys, 1),
                KeyArgs.roleKeys("timestamp", timestampKeys, 1));
        List<KeySigner> signers = KeyArgs.signers(signWith);
        Repository repo = Repository.create(keys, Clock.systemUTC(), ExpiryPolicy.defaults());
        repo.sign("root", signers);
        repo.requireSigned("root");
        RepositoryLayout.write(repo, out);
        out().println("wrote root version 1 to " + out.resolve("1.root.json") + " and " + out.resolve("root.json"));
        return 0;
    }
}
