package dev.flotilla.cli.release;

import picocli.CommandLine.Command;

/** {@code flotilla release}: signing firmware releases into a repository. */
@Command(name = "release", aliases = "releases", description = "Sign, publish, list, refresh and delete firmware releases.", mixinStandardHelpOptions = true,
        subcommands = {ReleaseSignCommand.class, ReleasePublishCommand.class, ReleaseListCommand.class,
                ReleaseRefreshCommand.class, ReleaseDeleteCommand.class})
public final class ReleaseCommand {
}
