package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.RoleKeys;
import dev.flotilla.core.tuf.repo.TopLevelKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code flotilla trust rotate}: writes the next root version with the roles' keys replaced as given
 * (roles not mentioned keep theirs) and a fresh expiry, signed by the previous root's threshold and the
 * new one's. With {@code --repo} it works on a repository directory; with {@code --server} it reads the
 * server's current root, keeps the server's online keys (snapshot, timestamp, director) and uploads the new
 * root, which devices then walk to on their next refresh. With {@code --json} it prints the server's answer after
 * an upload, else what it wrote (see {@link RootDrafts#result}, with {@code previous} counted by the current
 * root), as one line of JSON; the readable lines then go to stderr.
 */
@Command(name = "rotate", mixinStandardHelpOptions = true,
        description = "Issue a new root version (new keys, thresholds or just a later expiry), signed by old and new root keys.")
public final class TrustRotateCommand extends ToolCommand {
    @Option(names = "--repo", paramLabel = "DIR", description = "Repository directory (or give --server)")
    Path repoDir;

    /** The update server (rotate its root and upload the new one) and an admin API token. */
    @picocli.CommandLine.Mixin
    ServerOptions connection;

    @Option(names = "--out", paramLabel = "DIR", description = "With --server: keep a copy of the new root here")
    Path out;

    @Option(names = "--root-key", arity = "1..*", paramLabel = "PUB")
    List<Path> rootKeys;

    @Option(names = "--root-threshold", paramLabel = "N")
    Integer rootThreshold;

    @Option(names = "--targets-key", arity = "1..*", paramLabel = "PUB")
    List<Path> targetsKeys;

    @Option(names = "--targets-threshold", paramLabel = "N")
    Integer targetsThreshold;

    @Option(names = "--snapshot-key", arity = "1..*", paramLabel = "PUB", description = "Only with --repo")
    List<Path> snapshotKeys;

    @Option(names = "--timestamp-key", arity = "1..*", paramLabel = "PUB", description = "Only with --repo")
    List<Path> timestampKeys;

    @Option(names = "--sign-with", arity = "1..*", paramLabel = "PRIVATE",
            description = "Private root keys (files or pkcs11: URIs), old and new: each root's threshold must be met")
    List<Path> signWith;

    @Option(names = "--expect-online-keys", paramLabel = "FILE",
            description = "With --server: the online key ids the server must have, as for 'trust init' (after the"
                    + " server's online keys were replaced, the ids its console printed at start)")
    Path expectOnlineKeys;

    @Option(names = "--draft", paramLabel = "FILE",
            description = "Instead of --sign-with: write the new root unsigned to FILE, for each root key holder to sign"
                    + " with 'trust sign' and 'trust publish' to publish; nothing is uploaded or written to --repo")
    Path draft;

    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        boolean serverOption = spec.commandLine().getParseResult().hasMatchedOption("--server");
        if (repoDir != null && serverOption || repoDir == null && !connection.given()) {
            throw new IllegalArgumentException("give either --repo DIR or --server URL (or FLOTILLA_SERVER)");
        }
        if ((signWith == null) == (draft == null)) {
            throw new IllegalArgumentException("give either --sign-with (sign here) or --draft FILE (signers sign"
                    + " the draft on their own machines)");
        }
        if (draft != null && out != null) {
            throw new IllegalArgumentException("--out goes with --sign-with ('trust publish --out' keeps the copy)");
        }
        if (repoDir == null) {
            return withServer();
        }
        if (out != null) {
            throw new IllegalArgumentException("--out goes with --server (with --repo the new root is written there)");
        }
        Repository repo = RepositoryLayout.load(repoDir, Clock.systemUTC(), ExpiryPolicy.defaults());
        Root previous = repo.root().signed();
        TopLevelKeys keys = repo.topLevelKeys();
        keys = keys.with("root", replace("root", keys.root(), rootKeys, rootThreshold));
        keys = keys.with("targets", replace("targets", keys.targets(), targetsKeys, targetsThreshold));
        keys = keys.with("snapshot", replace("snapshot", keys.snapshot(), snapshotKeys, null));
        keys = keys.with("timestamp", replace("timestamp", keys.timestamp(), timestampKeys, null));
        repo.rotateRoot(keys);
        if (draft != null) {
            return writeDraft(repo.root(), previous);
        }
        repo.sign("root", KeyArgs.signers(signWith));
        repo.requireSigned("root");
        RepositoryLayout.write(repo, repoDir);
        long version = repo.root().signed().version();
        Path file = repoDir.resolve(version + ".root.json");
        text().println("wrote root version " + version + " to " + file);
        json.print(spec, RootDrafts.result(file, RootDrafts.read(file), previous));
        return 0;
    }

    private int withServer() throws Exception {
        if (snapshotKeys != null || timestampKeys != null) {
            throw new IllegalArgumentException("with --server the snapshot and timestamp keys are the server's");
        }
        List<Signer> signers = signWith == null ? List.of() : KeyArgs.signers(signWith);
        ServerClient client = connection.client();
        Metadata<Root> current = ServerMetadata.currentRoot(client).orElseThrow(() -> new IllegalStateException(
                "the server has no root yet: use 'flotilla trust init --server'"));
        if (draft != null) {
            Root r = current.signed();
            Metadata.verifyThreshold("the server's root version " + r.version(), r.role("root"), r.keys(), current);
        } else {
            requireSignedByUs(current, signers);
        }
        TopLevelKeys keys = TopLevelKeys.of(current.signed());
        RoleKeys root = replace("root", keys.root(), rootKeys, rootThreshold);
        RoleKeys targets = replace("targets", keys.targets(), targetsKeys, targetsThreshold);
        JsonNode online = client.getJson("/api/v1/trust/online-keys");
        Map<String, String> onlineIds = ServerRoots.onlineKeyIds(online);
        if (expectOnlineKeys != null) {
            ServerRoots.requireExpectedOnlineKeys(text(), onlineIds, expectOnlineKeys, false);
        } else if (!onlineIds.equals(rootOnlineKeyIds(current.signed()))) {
            throw new IllegalStateException("the server's online keys are not those root version "
                    + current.signed().version() + " names (were they replaced?): compare the ids with the ones"
                    + " `flotilla server` printed at start and pass them with --expect-online-keys FILE; nothing was"
                    + " uploaded");
        }
        long version = current.signed().version() + 1;
        Instant expires = Clock.systemUTC().instant().plus(ExpiryPolicy.defaults().root());
        Metadata<Root> unsigned = ServerRoots.build(version, expires, root, targets, online);
        if (draft != null) {
            return writeDraft(unsigned, current.signed());
        }
        Metadata<Root> next = ServerRoots.sign(unsigned, signers, current.signed());
        JsonNode answer = ServerRoots.upload(client, next, out);
        json.print(spec, answer);
        text().println("uploaded root version " + version + " (expires " + next.signed().expires() + ") to " + connection.url()
                + (out != null ? "; copy in " + out.resolve(version + ".root.json") : ""));
        if (!targets.keyids().equals(keys.targets().keyids()) || targets.threshold() != keys.targets().threshold()) {
            text().println("the targets keys changed: devices refuse the current targets until it is re-signed; run "
                    + "'flotilla release refresh --targets-key NEW.pem --previous-targets-key OLD.pub.json' now");
        }
        text().flush();
        ServerMetadata.printWarnings(client, spec.commandLine().getErr());
        return 0;
    }

    /** Writes the unsigned next root to the draft file and, with --json, prints what it wrote. */
    private int writeDraft(Metadata<Root> unsigned, Root previous) throws Exception {
        RootDrafts.write(text(), draft, unsigned);
        json.print(spec, RootDrafts.result(draft, RootDrafts.read(draft), previous));
        return 0;
    }

    /** Where the readable lines go: stdout, or stderr when stdout carries --json. */
    private java.io.PrintWriter text() {
        return json.text(spec);
    }

    /** The key ids the root's online roles name (one each). */
    private static Map<String, String> rootOnlineKeyIds(Root root) {
        Map<String, String> ids = new java.util.LinkedHashMap<>();
        for (String role : ServerRoots.ONLINE_ROLES) {
            var r = root.roles().get(role);
            ids.put(role, r == null || r.keyids().isEmpty() ? "" : r.keyids().getFirst());
        }
        return ids;
    }

    /**
     * The server's current root must carry a valid signature by one of our root keys and meet its own
     * threshold: a server cannot hand us a root we never signed (with, say, its own targets key) to carry
     * over into the next version.
     */
    private static void requireSignedByUs(Metadata<Root> current, List<Signer> signers) {
        Root r = current.signed();
        Metadata.verifyThreshold("the server's root version " + r.version(), r.role("root"), r.keys(), current);
        List<Key> ours = signers.stream().filter(k -> r.role("root").keyids().contains(k.keyId()))
                .map(Signer::publicKey).toList();
        if (ours.isEmpty()) {
            throw new IllegalArgumentException("none of the --sign-with keys is a root key of the server's root version "
                    + r.version());
        }
        ServerMetadata.requireSignedBy(current, ours, 1, "the server's root version " + r.version(),
                "refusing to build on it");
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
