package dev.flotilla.cli.keys;

import dev.flotilla.cli.support.Examples;
import picocli.CommandLine.Command;

/** {@code flotilla keys}: key pair management. */
@Command(name = "keys", aliases = "key",
        description = "Generate and inspect signing keys.", mixinStandardHelpOptions = true,
        subcommands = {KeysGenerateCommand.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla keys generate --type ed25519 --out keys --name root"})
public final class KeysCommand {
}
