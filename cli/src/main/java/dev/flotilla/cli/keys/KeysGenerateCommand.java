package dev.flotilla.cli.keys;

import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code flotilla keys generate}: writes NAME.pem (mode 0600) and NAME.pub.json; with {@code --json} prints
 * {@code keyId}, {@code keyType}, {@code privateKey} and {@code publicKey} (the two files).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a key pair: NAME.pem (private, mode 0600) and NAME.pub.json (TUF public key).")
public final class KeysGenerateCommand extends ToolCommand {
    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "ed25519, ecdsa-p256 or rsa")
    String type;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the key files")
    Path out;

    @Option(names = "--name", paramLabel = "NAME", description = "File name stem (default: the key type)")
    String name;

    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        KeyType keyType = KeyType.fromCliName(type);
        String cliName = keyType.name().toLowerCase(Locale.ROOT).replace('_', '-');
        String stem = name != null ? name : cliName;
        if (stem.isBlank() || stem.contains("/") || stem.startsWith(".")) {
            throw new IllegalArgumentException("invalid key name '" + stem + "'");
        }
        KeyFiles.GeneratedKey g = KeyFiles.generate(keyType, out, stem);
        java.io.PrintWriter text = json.text(spec);
        text.println("private key: " + g.privateKeyFile());
        text.println("public key:  " + g.publicKeyFile());
        text.println("key id:      " + g.key().keyId());
        json.print(spec, ResultJson.object().put("keyId", g.key().keyId()).put("keyType", cliName)
                .put("privateKey", g.privateKeyFile().toString()).put("publicKey", g.publicKeyFile().toString()));
        return 0;
    }
}
