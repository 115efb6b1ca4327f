package dev.flotilla.cli.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Examples;
import dev.flotilla.cli.support.NewestFirst;
import dev.flotilla.cli.support.Paging;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;

/** {@code flotilla audit list}: the server's audit log (admin). */
@Command(name = "audit", description = "Read the audit log (admin).", mixinStandardHelpOptions = true,
        subcommands = AuditCommand.ListEntries.class,
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla audit list --newest-first --limit 20"})
public final class AuditCommand {
    @Command(name = "list", description = "List audit entries.", mixinStandardHelpOptions = true)
    static final class ListEntries extends ApiCommand {
        @Mixin
        Paging paging;
        @Mixin
        NewestFirst order;

        @Override
        protected void run() throws IOException {
            JsonNode page = get(query("/api/v1/audit", order.addTo(paging.params())));
            if (page != null) {
                printPage(page, new Table("SEQ", "AT", "ACTOR", "ACTION", "TARGET"),
                        e -> new Object[]{text(e, "seq"), text(e, "at"),
                                text(e, "actorKind") + ":" + text(e, "actorName"), text(e, "action"),
                                text(e, "targetKind") + ":" + text(e, "targetId")});
            }
        }
    }
}
