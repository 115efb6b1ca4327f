package dev.flotilla.cli.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Examples;
import dev.flotilla.cli.support.Paging;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;

/** {@code flotilla enrollment-tokens}: the secrets devices enroll with (operator). Shown once, at creation. */
@Command(name = "enrollment-tokens", aliases = "enrollment-token",
        description = "Create, list and revoke device enrollment tokens.",
        mixinStandardHelpOptions = true,
        subcommands = {EnrollmentTokensCommand.Create.class, EnrollmentTokensCommand.ListTokens.class,
                EnrollmentTokensCommand.Revoke.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla enrollment-tokens create --description \"lab boards\" \\",
                "      --max-uses 10",
                "  flotilla enrollment-tokens create --description factory --fleet-wide \\",
                "      --valid-for-seconds 86400",
                "  flotilla enrollment-tokens list",
                "  flotilla enrollment-tokens revoke enr_dPC8e4bHx3cqd68w"})
public final class EnrollmentTokensCommand {
    private static final String BASE = "/api/v1/enrollment-tokens";

    @Command(name = "create", description = "Create an enrollment token; its secret is shown this once.",
            mixinStandardHelpOptions = true)
    static final class Create extends ApiCommand {
        @Option(names = "--description", paramLabel = "TEXT", required = true, description = "What it is for.")
        String description;
        @Option(names = "--valid-for-seconds", paramLabel = "N",
                description = "Lifetime in seconds (default: the server's, seven days; at most ten years).")
        Long validForSeconds;
        @Option(names = "--max-uses", paramLabel = "N",
                description = "How many devices it may enroll (default: the server's, 1).")
        Long maxUses;
        @Option(names = "--fleet-wide", description = "No limit on the number of devices it enrolls (instead of"
                + " --max-uses): anyone holding the secret can enroll devices until it expires or is revoked.")
        boolean fleetWide;

        @Override
        protected void run() throws IOException {
            var body = object().put("description", description);
            if (validForSeconds != null) {
                body.put("validForSeconds", validForSeconds);
            }
            if (maxUses != null) {
                body.put("maxUses", maxUses);
            }
            if (fleetWide) {
                body.put("fleetWide", true);
            }
            JsonNode r = send("POST", BASE, body);
            if (r != null) {
                JsonNode t = r.path("token");
                out().println("enrollment token " + text(t, "id") + " (" + text(t, "description") + "), expires "
                        + text(t, "expiresAt") + ", enrolls " + (t.path("maxUses").isNumber()
                        ? "at most " + text(t, "maxUses") + " device(s)" : "any number of devices (fleet-wide)"));
                out().println("secret: " + text(r, "secret"));
                out().println("The secret is shown only now; store it safely.");
            }
        }
    }

    @Command(name = "list", description = "List enrollment tokens (never their secrets).", mixinStandardHelpOptions = true)
    static final class ListTokens extends ApiCommand {
        @Mixin
        Paging paging;

        @Override
        protected void run() throws IOException {
            JsonNode page = get(query(BASE, paging.params()));
            if (page != null) {
                printPage(page, new Table("ID", "DESCRIPTION", "USES", "CREATED", "EXPIRES", "REVOKED"),
                        t -> new Object[]{text(t, "id"), text(t, "description"), text(t, "uses") + "/"
                                + (t.path("maxUses").isNumber() ? text(t, "maxUses") : "unlimited"),
                                text(t, "createdAt"), text(t, "expiresAt"), text(t, "revokedAt")});
            }
        }
    }

    @Command(name = "revoke", description = "Revoke an enrollment token.", mixinStandardHelpOptions = true)
    static final class Revoke extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode t = send("DELETE", BASE + "/" + seg(id), null);
            if (t != null) {
                out().println("enrollment token " + text(t, "id") + " revoked at " + text(t, "revokedAt"));
            }
        }
    }
}
