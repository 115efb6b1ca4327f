package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.JsonOutput;
import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code flotilla release delete NAME}: fetches the server's current targets metadata, checks that it carries
 * the operator's own targets signatures, removes the target {@code NAME}, signs the next version offline and
 * sends it with {@code DELETE /api/v1/releases/{path}}. The server refuses while a device runs the release, holds a
 * live assignment to it or a deployment can still assign it; otherwise it publishes the targets and removes
 * the release and its image. With {@code --draft FILE} instead of {@code --targets-key} it writes that version
 * unsigned, for {@code release sign --draft} and {@code release publish --draft} (which then sends it); the
 * current targets must then meet the server's root's targets threshold.
 */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Remove a release no device needs: sign the server's targets without it and delete it.",
        footer = {"", "Examples:",
                "  flotilla release delete fw-1.0.bin --server URL --token T \\",
                "      --targets-key keys/targets.pem",
                "  # a draft for 'release sign --draft', then 'release publish --draft':",
                "  flotilla release delete fw-1.0.bin --server URL --token T \\",
                "      --draft delete.draft.json"})
public final class ReleaseDeleteCommand extends ToolCommand {
    /** The server and a release-manager (or admin) API token. */
    @picocli.CommandLine.Mixin
    ServerOptions connection;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ReleaseName release;

    @Option(names = "--targets-key", arity = "1..*", paramLabel = "PRIVATE",
            description = "Private targets keys (files or pkcs11: URIs); together they must meet the targets threshold")
    List<Path> targetsKeys;

    @Option(names = "--draft", paramLabel = "FILE",
            description = "Instead of --targets-key: write the next targets unsigned to FILE, for each targets key"
                    + " holder to sign with 'release sign --draft' and 'release publish --draft' to publish")
    Path draft;

    @picocli.CommandLine.Mixin
    JsonOutput json;

    @Override
    protected int execute() throws Exception {
        String name = release.value(spec);
        if ((targetsKeys == null) == (draft == null)) {
            throw new IllegalArgumentException("give either --targets-key (sign here) or --draft FILE (targets key"
                    + " holders sign the draft on their own machines)");
        }
        List<Signer> signers = targetsKeys == null ? List.of() : KeyArgs.signers(targetsKeys);
        ServerClient client = connection.client();
        Metadata<Targets> current = ServerMetadata.currentTargets(client).orElseThrow(() ->
                new IllegalStateException("the server has no targets metadata: nothing has been released"));
        if (draft != null) {
            TargetsDrafts.requireCurrentSigned(client, current);
        } else {
            ReleasePublishCommand.requireOwnSignatures(current, signers);
        }
        Targets t = current.signed();
        Map<String, TargetFile> files = new LinkedHashMap<>(t.targets());
        if (files.remove(name) == null) {
            throw new IllegalArgumentException("the server's current targets (version " + t.version()
                    + ") do not list '" + name + "'");
        }
        Metadata<Targets> next = Metadata.of(new Targets(Signed.SPEC_VERSION, t.version() + 1,
                Clock.systemUTC().instant().plus(ExpiryPolicy.defaults().targets()).truncatedTo(ChronoUnit.SECONDS),
                files, t.delegations(), Map.of()));
        if (draft != null) {
            return TargetsDrafts.write(out(), draft, next, null);
        }
        for (Signer s : signers) {
            next = next.sign(s);
        }
        return send(client, name, next, out(), json);
    }

    /**
     * Sends the signed targets without {@code name} with {@code DELETE /api/v1/releases/{name}} and prints the
     * answer (as JSON when {@code json} is given); exit code 0.
     */
    static int send(ServerClient client, String name, Metadata<Targets> next, PrintWriter out, JsonOutput json)
            throws IOException {
        ObjectNode body = CanonicalJson.mapper().createObjectNode();
        body.set("targets", CanonicalJson.parse(next.toBytes()));
        String path = "/api/v1/releases/" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8);
        JsonNode deleted = client.sendJson("DELETE", path, CanonicalJson.mapper().writeValueAsBytes(body));
        if (json.given()) {
            json.print(out, deleted);
            return 0;
        }
        out.println("deleted " + deleted.path("targetPath").asText() + " (sha256 " + deleted.path("sha256").asText()
                + "); targets version " + next.signed().version() + " no longer lists it");
        return 0;
    }
}
