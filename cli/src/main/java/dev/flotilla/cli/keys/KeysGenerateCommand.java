package dev.flotilla.cli.keys;

import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

/** {@code flotilla keys generate}: writes NAME.pem (mode 0600) and NAME.pub.json. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a key pair: NAME.pem (private, mode 0600) and NAME.pub.json (TUF public key).")
public final class KeysGenerateCommand extends ToolCommand {
    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "ed25519, ecdsa-p256 or rsa")
    String type;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the key files")
    Path out;

    @Option(names = "--name", paramLabel = "NAME", description = "File name stem (default: the key type)")
    String name;

    @Override
    protected int execute() throws Exception {
        KeyType keyType = KeyType.fromCliName(type);
        String stem = name != null ? name : keyType.name().toLowerCase(Locale.ROOT).replace('_', '-');
        if (stem.isBlank() || stem.contains("/") || stem.startsWith(".")) {
            throw new IllegalArgumentException("invalid key name '" + stem + "'");
        }
        KeyFiles.GeneratedKey g = KeyFiles.generate(keyType, out, stem);
        out().println("private key: " + g.privateKeyFile());
        out().println("public key:  " + g.publicKeyFile());
        out().println("key id:      " + g.key().keyId());
        return 0;
    }
}
