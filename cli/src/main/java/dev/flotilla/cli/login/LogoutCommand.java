package dev.flotilla.cli.login;

import dev.flotilla.cli.support.ProfileStore;
import dev.flotilla.cli.support.ToolCommand;
import picocli.CommandLine.Command;

/**
 * {@code flotilla logout}: deletes the profile {@code flotilla login} saved. The token itself stays valid on
 * the server; {@code flotilla tokens revoke ID} ends it.
 */
@Command(name = "logout", mixinStandardHelpOptions = true,
        description = "Forget the server and token 'flotilla login' saved (the token stays valid on the server).",
        footerHeading = "%nExamples:%n",
        footer = {"  flotilla logout",
                "  flotilla tokens revoke ID      (ends the token itself on the server; admin)"})
public final class LogoutCommand extends ToolCommand {
    @Override
    protected int execute() throws Exception {
        ProfileStore store = ProfileStore.standard();
        out().println(store.delete() ? "removed the saved profile " + store.file()
                : "no saved profile (" + store.file() + " does not exist)");
        return 0;
    }
}
