package dev.flotilla.cli.release;

import picocli.CommandLine.Command;

/** {@code flotilla release}: signing firmware releases into a repository. */
@Command(name = "release", description = "Sign firmware releases.", mixinStandardHelpOptions = true,
        subcommands = {ReleaseSignCommand.class, ReleasePublishCommand.class})
public final class ReleaseCommand {
}
