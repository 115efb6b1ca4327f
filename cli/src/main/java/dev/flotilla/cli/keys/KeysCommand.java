package dev.flotilla.cli.keys;

import picocli.CommandLine.Command;

/** {@code flotilla keys}: key pair management. */
@Command(name = "keys", description = "Generate and inspect signing keys.", mixinStandardHelpOptions = true,
        subcommands = {KeysGenerateCommand.class})
public final class KeysCommand {
}
