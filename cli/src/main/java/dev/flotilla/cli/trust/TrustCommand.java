package dev.flotilla.cli.trust;

import picocli.CommandLine.Command;

/** {@code flotilla trust}: the root of trust (root metadata) of a repository. */
@Command(name = "trust", description = "Create, rotate and check the root of trust.", mixinStandardHelpOptions = true,
        subcommands = {TrustInitCommand.class, TrustRotateCommand.class, TrustSignCommand.class,
                TrustPublishCommand.class, TrustStatusCommand.class})
public final class TrustCommand {
}
