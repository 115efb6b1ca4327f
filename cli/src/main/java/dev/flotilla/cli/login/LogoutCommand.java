package dev.flotilla.cli.login;

import dev.flotilla.cli.support.ProfileStore;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ToolCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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
    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        ProfileStore store = ProfileStore.standard();
        boolean removed = store.delete();
        json.text(spec).println(removed ? "removed the saved profile " + store.file()
                : "no saved profile (" + store.file() + " does not exist)");
        json.print(spec, ResultJson.object().put("removed", removed).put("profile", store.file().toString()));
        return 0;
    }
}
