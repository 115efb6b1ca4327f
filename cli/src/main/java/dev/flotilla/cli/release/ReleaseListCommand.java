package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Paging;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;

/** {@code flotilla release list} (also {@code releases list}): the server's published releases. */
@Command(name = "list", description = "List the releases published on a server.", mixinStandardHelpOptions = true)
public final class ReleaseListCommand extends ApiCommand {
    @Mixin
    Paging paging;

    @Override
    protected void run() throws IOException {
        JsonNode page = get(query("/api/v1/releases", paging.params()));
        if (page != null) {
            printPage(page, new Table("TARGET", "VERSION", "LENGTH", "SHA256", "TARGETS V", "CREATED"),
                    r -> new Object[]{text(r, "targetPath"), text(r, "version"), text(r, "length"),
                            abbreviate(text(r, "sha256")), text(r, "targetsVersion"), text(r, "createdAt")});
        }
    }

    private static String abbreviate(String hash) {
        return hash.length() > 16 ? hash.substring(0, 16) + "…" : hash;
    }
}
