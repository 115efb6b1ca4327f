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

/** {@code flotilla tokens}: operator API tokens (admin). The secret is printed once, at creation. */
@Command(name = "tokens", aliases = "token",
        description = "Create, list and revoke operator API tokens (admin).",
        mixinStandardHelpOptions = true,
        subcommands = {TokensCommand.Create.class, TokensCommand.ListTokens.class, TokensCommand.Revoke.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla tokens create --name ci --role release-manager",
                "  flotilla tokens list",
                "  flotilla tokens revoke tok_WPb2VvCyn0fZbAZm"})
public final class TokensCommand {
    private static final String BASE = "/api/v1/tokens";

    @Command(name = "create", description = "Create a token; its secret is shown this once.", mixinStandardHelpOptions = true)
    static final class Create extends ApiCommand {
        @Option(names = "--name", paramLabel = "N", required = true)
        String name;
        @Option(names = "--role", paramLabel = "ROLE", required = true,
                description = "viewer, operator, release-manager or admin.")
        String role;

        @Override
        protected void run() throws IOException {
            JsonNode r = send("POST", BASE, object().put("name", name).put("role", role));
            if (r != null) {
                JsonNode t = r.path("token");
                out().println("token " + text(t, "id") + " (" + text(t, "name") + ", " + text(t, "role") + ")");
                out().println("secret: " + text(r, "secret"));
                out().println("The secret is shown only now; store it safely.");
            }
        }
    }

    @Command(name = "list", description = "List tokens (never their secrets).", mixinStandardHelpOptions = true)
    static final class ListTokens extends ApiCommand {
        @Mixin
        Paging paging;

        @Override
        protected void run() throws IOException {
            JsonNode page = get(query(BASE, paging.params()));
            if (page != null) {
                printPage(page, new Table("ID", "NAME", "ROLE", "CREATED", "REVOKED"),
                        t -> new Object[]{text(t, "id"), text(t, "name"), text(t, "role"), text(t, "createdAt"),
                                text(t, "revokedAt")});
            }
        }
    }

    @Command(name = "revoke", description = "Revoke a token.", mixinStandardHelpOptions = true)
    static final class Revoke extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode t = send("DELETE", BASE + "/" + seg(id), null);
            if (t != null) {
                out().println("token " + text(t, "id") + " revoked at " + text(t, "revokedAt"));
            }
        }
    }
}
