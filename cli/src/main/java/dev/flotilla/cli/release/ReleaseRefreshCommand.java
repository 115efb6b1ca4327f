package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.JsonOutput;
import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.Lifetimes;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * {@code flotilla release refresh}: re-signs the server's current targets metadata offline, unchanged but
 * for the next version and a later expiry, and uploads it ({@code PUT /api/v1/trust/targets}); the server
 * re-publishes snapshot and timestamp. Before signing, the current targets must carry the signatures of
 * the given targets keys, or (after a root rotation replaced them) of {@code --previous-targets-key}, so
 * that a server cannot slip entries into what the operator signs. With {@code --draft FILE} instead of
 * {@code --targets-key} it writes that version unsigned, for {@code release sign --draft} and
 * {@code release publish --draft}; the current targets must then meet the server's root's targets threshold
 * (or carry the signatures of {@code --previous-targets-key}).
 */
@Command(name = "refresh", mixinStandardHelpOptions = true,
        description = "Re-sign the server's current targets metadata with a later expiry (no new image).",
        footer = {"", "Examples:",
                "  flotilla release refresh --server URL --token T --targets-key targets.pem",
                "  # a draft for 'release sign --draft', then 'release publish --draft':",
                "  flotilla release refresh --server URL --token T --draft refresh.draft.json"})
public final class ReleaseRefreshCommand extends ToolCommand {
    /** The server and a release-manager (or admin) API token. */
    @picocli.CommandLine.Mixin
    ServerOptions connection;

    @Option(names = "--targets-key", arity = "1..*", paramLabel = "PRIVATE",
            description = "Private targets keys (files or pkcs11: URIs); together they must meet the targets threshold")
    List<Path> targetsKeys;

    @Option(names = "--draft", paramLabel = "FILE",
            description = "Instead of --targets-key: write the next targets unsigned to FILE, for each targets key"
                    + " holder to sign with 'release sign --draft' and 'release publish --draft' to publish")
    Path draft;

    @Option(names = "--previous-targets-key", arity = "1..*", paramLabel = "KEY",
            description = "After a rotation: the replaced targets keys (public or private files) that signed the current targets")
    List<Path> previousKeys;

    @Option(names = "--expires-in", defaultValue = "90d", paramLabel = "LIFETIME",
            description = "New lifetime, e.g. 90d, 36h, 2w (default ${DEFAULT-VALUE})")
    String expiresIn;

    @picocli.CommandLine.Mixin
    JsonOutput json;

    @Override
    protected int execute() throws Exception {
        if ((targetsKeys == null) == (draft == null)) {
            throw new IllegalArgumentException("give either --targets-key (sign here) or --draft FILE (targets key"
                    + " holders sign the draft on their own machines)");
        }
        Duration lifetime = Lifetimes.parse("--expires-in", expiresIn);
        List<Signer> signers = targetsKeys == null ? List.of() : KeyArgs.signers(targetsKeys);
        List<Key> signedBy = previousKeys != null ? KeyArgs.publicKeys(previousKeys)
                : signers.stream().map(Signer::publicKey).toList();
        ServerClient client = connection.client();
        Metadata<Targets> current = ServerMetadata.currentTargets(client).orElseThrow(() -> new IllegalStateException(
                "the server has no targets metadata yet: publish a release first"));
        if (signedBy.isEmpty()) {
            TargetsDrafts.requireCurrentSigned(client, current);
        } else {
            ServerMetadata.requireSignedBy(current, signedBy, "the server's current targets", "refusing to sign on top"
                    + " of it (after a rotation, name the replaced keys with --previous-targets-key)");
        }
        Targets t = current.signed();
        Instant expires = Clock.systemUTC().instant().plus(lifetime).truncatedTo(ChronoUnit.SECONDS);
        Metadata<Targets> next = Metadata.of(new Targets(t.specVersion(), t.version() + 1, expires, t.targets(),
                t.delegations(), t.unrecognized()));
        if (draft != null) {
            return TargetsDrafts.write(out(), draft, next, null);
        }
        for (Signer s : signers) {
            next = next.sign(s);
        }
        return send(client, next, out(), spec.commandLine().getErr(), json);
    }

    /**
     * Uploads re-signed targets ({@code PUT /api/v1/trust/targets}), prints the answer (as JSON when {@code json}
     * is given) and the server's trust warnings; 0.
     */
    static int send(ServerClient client, Metadata<Targets> next, PrintWriter out, PrintWriter err, JsonOutput json)
            throws IOException {
        JsonNode answer = client.sendJson("PUT", "/api/v1/trust/targets", next.toBytes());
        if (json.given()) {
            json.print(out, answer);
        } else {
            out.println("re-signed targets version " + answer.path("version").asLong() + " (" + answer.path("targets").asInt()
                    + " targets), expires " + answer.path("expires").asText());
        }
        out.flush();
        ServerMetadata.printWarnings(client, err);
        return 0;
    }
}
