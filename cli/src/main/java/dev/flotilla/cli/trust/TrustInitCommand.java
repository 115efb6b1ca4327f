package dev.flotilla.cli.trust;

import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.TopLevelKeys;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.repo.RoleKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;


import java.nio.file.Files;
import java.time.Instant;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * {@code flotilla trust init}: writes a signed root version 1 ({@code 1.root.json} and {@code root.json}).
 * With {@code --server} (or FLOTILLA_SERVER, when no snapshot or timestamp key is given), the snapshot and timestamp keys are the server's online keys (fetched from it),
 * the root gets an extra role {@code director} with the server's director key, and the signed root is
 * uploaded to the server ({@code --out} then optionally keeps a copy for devices). The server's online key
 * ids are shown, and the root is built only when they equal {@code --expect-online-keys FILE} or the operator
 * passed {@code --accept-online-keys}. With {@code --server} and {@code --draft FILE} instead of {@code --sign-with}
 * the root is written unsigned to FILE for {@code trust sign} and {@code trust publish}. With {@code --json} it
 * prints the server's answer after an upload, else what it wrote (see {@link RootDrafts#result}), as one line of
 * JSON; the readable lines then go to stderr.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create root version 1 of a new repository, signed by the given root keys.")
public final class TrustInitCommand extends ToolCommand {
    @Option(names = "--out", paramLabel = "DIR", description = "Repository directory (required without --server)")
    Path out;

    /** The update server (its online keys are used and the root uploaded) and an admin API token. */
    @Mixin
    ServerOptions connection;

    @Option(names = "--root-key", required = true, arity = "1..*", paramLabel = "PUB", description = "Root public keys")
    List<Path> rootKeys;

    @Option(names = "--root-threshold", defaultValue = "1", paramLabel = "N")
    int rootThreshold;

    @Option(names = "--targets-key", required = true, arity = "1..*", paramLabel = "PUB")
    List<Path> targetsKeys;

    @Option(names = "--targets-threshold", defaultValue = "1", paramLabel = "N")
    int targetsThreshold;

    @Option(names = "--snapshot-key", arity = "1..*", paramLabel = "PUB", description = "Without --server")
    List<Path> snapshotKeys;

    @Option(names = "--timestamp-key", arity = "1..*", paramLabel = "PUB", description = "Without --server")
    List<Path> timestampKeys;

    @Option(names = "--expect-online-keys", paramLabel = "FILE",
            description = "With --server: the online key ids the server must have, as JSON {\"snapshot\": ID,"
                    + " \"timestamp\": ID, \"director\": ID} (flotilla server prints them at start; the"
                    + " online-keys answer itself also works), learnt over a channel you trust")
    Path expectOnlineKeys;

    @Option(names = "--accept-online-keys",
            description = "With --server: take the online keys the server returns as they are (their ids are shown)")
    boolean acceptOnlineKeys;

    @Option(names = "--sign-with", arity = "1..*", paramLabel = "PRIVATE",
            description = "Private root keys (files or pkcs11: URIs); together they must meet the root threshold")
    List<Path> signWith;

    @Option(names = "--draft", paramLabel = "FILE",
            description = "With --server, instead of --sign-with: write root version 1 unsigned to FILE for each root"
                    + " key holder to sign ('trust sign') and 'trust publish' to upload")
    Path draft;

    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        boolean offline = snapshotKeys != null || timestampKeys != null;
        if ((signWith == null) == (draft == null)) {
            throw new IllegalArgumentException("give either --sign-with (sign here) or --draft FILE (with --server:"
                    + " signers sign the draft on their own machines)");
        }
        if (draft != null && (offline || !connection.given() || out != null)) {
            throw new IllegalArgumentException("--draft goes with --server (and without --out: 'trust publish --out'"
                    + " keeps the copy)");
        }
        if (!offline && connection.given()) {
            return withServer();
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--server")) {
            throw new IllegalArgumentException("with --server the snapshot and timestamp keys are the server's");
        }
        if (out == null || snapshotKeys == null || timestampKeys == null) {
            throw new IllegalArgumentException("give --out, --snapshot-key and --timestamp-key (or --server and --token,"
                    + " or FLOTILLA_SERVER and FLOTILLA_TOKEN)");
        }
        if (Files.exists(out.resolve("1.root.json")) || Files.exists(out.resolve("root.json"))) {
            throw new IllegalStateException(out + " already holds a root (use 'flotilla trust rotate')");
        }
        TopLevelKeys keys = new TopLevelKeys(
                KeyArgs.roleKeys("root", rootKeys, rootThreshold),
                KeyArgs.roleKeys("targets", targetsKeys, targetsThreshold),
                KeyArgs.roleKeys("snapshot", snapshotKeys, 1),
                KeyArgs.roleKeys("timestamp", timestampKeys, 1));
        List<Signer> signers = KeyArgs.signers(signWith);
        Repository repo = Repository.create(keys, Clock.systemUTC(), ExpiryPolicy.defaults());
        repo.sign("root", signers);
        repo.requireSigned("root");
        RepositoryLayout.write(repo, out);
        text().println("wrote root version 1 to " + out.resolve("1.root.json") + " and " + out.resolve("root.json"));
        json.print(spec, RootDrafts.result(out.resolve("1.root.json"), RootDrafts.read(out.resolve("1.root.json")), null));
        return 0;
    }

    private int withServer() throws Exception {
        ServerClient client = connection.client();
        if (out != null && (Files.exists(out.resolve("1.root.json")) || Files.exists(out.resolve("root.json")))) {
            throw new IllegalStateException(out + " already holds a root");
        }
        RoleKeys rootRole = KeyArgs.roleKeys("root", rootKeys, rootThreshold);
        RoleKeys targetsRole = KeyArgs.roleKeys("targets", targetsKeys, targetsThreshold);
        List<Signer> signers = draft != null ? List.of() : KeyArgs.signers(signWith);
        JsonNode online = client.getJson("/api/v1/trust/online-keys");
        ServerRoots.requireExpectedOnlineKeys(text(), ServerRoots.onlineKeyIds(online), expectOnlineKeys, acceptOnlineKeys);
        Instant expires = Clock.systemUTC().instant().plus(ExpiryPolicy.defaults().root());
        Metadata<Root> unsigned = ServerRoots.build(1, expires, rootRole, targetsRole, online);
        if (draft != null) {
            if (ServerMetadata.currentRoot(client).isPresent()) {
                throw new IllegalStateException("the server already has a root: use 'flotilla trust rotate --draft'");
            }
            RootDrafts.write(text(), draft, unsigned);
            json.print(spec, RootDrafts.result(draft, RootDrafts.read(draft), null));
            return 0;
        }
        Metadata<Root> root = ServerRoots.sign(unsigned, signers, null);
        JsonNode answer = ServerRoots.upload(client, root, out);
        if (json.given()) {
            json.print(spec, answer);
            return 0;
        }
        out().println("uploaded root version 1 (with the server's snapshot, timestamp and director keys) to " + connection.url()
                + (out != null ? "; copies in " + out.resolve("1.root.json") + " and " + out.resolve("root.json") : ""));
        return 0;
    }

    /** Where the readable lines go: stdout, or stderr when stdout carries --json. */
    private java.io.PrintWriter text() {
        return json.text(spec);
    }
}
