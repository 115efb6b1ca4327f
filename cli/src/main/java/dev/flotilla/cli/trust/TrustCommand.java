package dev.flotilla.cli.trust;

import dev.flotilla.cli.support.Examples;
import picocli.CommandLine.Command;

/** {@code flotilla trust}: the root of trust (root metadata) of a repository. */
@Command(name = "trust", description = "Create, rotate and check the root of trust.", mixinStandardHelpOptions = true,
        subcommands = {TrustInitCommand.class, TrustRotateCommand.class, TrustSignCommand.class,
                TrustPublishCommand.class, TrustStatusCommand.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla trust init --root-key root.pub.json \\",
                "      --targets-key targets.pub.json --sign-with root.pem \\",
                "      --accept-online-keys --out device",
                "  flotilla trust status",
                "  flotilla trust rotate --sign-with root.pem --out device",
                "  flotilla trust rotate --root-key new-root.pub.json --draft root-draft.json",
                "  flotilla trust sign --draft root-draft.json --key root.pem \\",
                "      --out signed-by-me.json",
                "  flotilla trust publish --draft root-draft.json --signed signed-by-me.json"})
public final class TrustCommand {
}
