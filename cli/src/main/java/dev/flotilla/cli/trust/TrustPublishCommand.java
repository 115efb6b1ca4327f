package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.client.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code flotilla trust publish}: combines a root draft with the copies its signers signed ({@code trust sign}),
 * and once the new root's threshold and the current root's are met uploads it to the server (or writes it into a
 * repository directory). Nothing is uploaded or written while a threshold is short or any file is refused. With
 * {@code --json} it prints the server's answer after an upload, else what it wrote (see {@link RootDrafts#result},
 * with {@code previous} counted by the repository's current root when it has one), as one line of JSON; the
 * readable lines then go to stderr.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Combine the signed copies of a root draft and publish it once the thresholds are met.")
public final class TrustPublishCommand extends ToolCommand {
    @Option(names = "--draft", required = true, paramLabel = "FILE", description = "Root draft (signed or not)")
    Path draft;

    @Option(names = "--signed", arity = "1..*", paramLabel = "FILE", description = "Copies of the draft signed by others")
    List<Path> signed;

    @Option(names = "--repo", paramLabel = "DIR", description = "Repository directory (or give --server)")
    Path repoDir;

    /** The update server and an admin API token. */
    @Mixin
    ServerOptions connection;

    @Option(names = "--out", paramLabel = "DIR", description = "With --server: keep a copy of the new root here")
    Path out;

    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        boolean serverOption = spec.commandLine().getParseResult().hasMatchedOption("--server");
        if (repoDir != null && serverOption || repoDir == null && !connection.given()) {
            throw new IllegalArgumentException("give either --repo DIR or --server URL (or FLOTILLA_SERVER)");
        }
        Metadata<Root> md = RootDrafts.read(draft);
        ServerClient client = repoDir == null ? connection.client() : null;
        Root previous = client != null ? ServerMetadata.currentRoot(client).map(Metadata::signed).orElse(null)
                : Files.exists(repoDir.resolve("root.json")) ? RootDrafts.read(repoDir.resolve("root.json")).signed() : null;
        md = RootDrafts.combine(draft, md, signed == null ? List.of() : signed, previous);
        java.io.PrintWriter text = json.text(spec);
        text.println(RootDrafts.status(md, previous));
        text.flush();
        RootDrafts.requireThresholds(md, previous);
        long version = md.signed().version();
        if (client != null) {
            JsonNode answer = ServerRoots.upload(client, md, out);
            if (json.given()) {
                json.print(spec, answer);
            } else {
                out().println("uploaded root version " + version + " to " + connection.url());
            }
            out().flush();
            ServerMetadata.printWarnings(client, spec.commandLine().getErr());
        } else {
            byte[] bytes = md.toBytes();
            AtomicFiles.write(repoDir.resolve(version + ".root.json"), bytes);
            AtomicFiles.write(repoDir.resolve("root.json"), bytes);
            text.println("wrote root version " + version + " to " + repoDir.resolve(version + ".root.json"));
            json.print(spec, RootDrafts.result(repoDir.resolve(version + ".root.json"), md, previous));
        }
        return 0;
    }
}
