package dev.flotilla.cli.release;

import dev.flotilla.cli.support.Examples;
import picocli.CommandLine.Command;

/** {@code flotilla release}: signing firmware releases into a repository. */
@Command(name = "release", aliases = "releases", mixinStandardHelpOptions = true,
        description = "Sign, publish, list, show, download, refresh and delete firmware releases.",
        subcommands = {ReleaseSignCommand.class, ReleasePublishCommand.class, ReleaseListCommand.class,
                ReleaseShowCommand.class, ReleaseDownloadCommand.class, ReleaseRefreshCommand.class,
                ReleaseDeleteCommand.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla release publish --image fw.img --version 1.1.0 \\",
                "      --hardware devboard --targets-key targets.pem",
                "  flotilla release list",
                "  flotilla release show fw.img",
                "  flotilla release download fw.img --expect-key targets.pub.json",
                "  flotilla release refresh --targets-key targets.pem",
                "  flotilla release delete fw.img --targets-key targets.pem",
                "  flotilla release sign --repo repo --image fw.img --version 1.1.0 \\",
                "      --hardware devboard --targets-key targets.pem"})
public final class ReleaseCommand {
}
