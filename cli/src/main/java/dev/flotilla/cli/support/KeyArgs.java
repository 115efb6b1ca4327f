package dev.flotilla.cli.support;

import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.Pkcs11Signer;
import dev.flotilla.core.keys.Pkcs11Uri;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.repo.RoleKeys;

import java.nio.file.Path;
import java.util.List;

/**
 * Loads the keys named on a command line: a key file, or a key on a PKCS#11 token named by an RFC 7512 URI
 * ({@code pkcs11:token=...;object=...?module-path=...&pin-source=...}; the PIN comes from the pin-source
 * file or FLOTILLA_PKCS11_PIN, the module from module-path or FLOTILLA_PKCS11_MODULE).
 */
public final class KeyArgs {
    private KeyArgs() {
    }

    public static List<Key> publicKeys(List<Path> args) {
        return args.stream().map(KeyArgs::publicKey).toList();
    }

    /** A public key: a public or private key file, or a PKCS#11 URI (read from the token's certificate). */
    public static Key publicKey(Path arg) {
        return isPkcs11(arg) ? signer(arg).publicKey() : KeyFiles.loadPublicKey(arg);
    }

    public static List<Signer> signers(List<Path> args) {
        return args.stream().map(KeyArgs::signer).toList();
    }

    /** A signer: a private key file, or a key on a PKCS#11 token. */
    public static Signer signer(Path arg) {
        if (isPkcs11(arg)) {
            return Pkcs11Signer.open(Pkcs11Uri.parse(arg.toString()), System::getenv);
        }
        return KeyFiles.loadSigner(arg);
    }

    private static boolean isPkcs11(Path arg) {
        return Pkcs11Uri.isUri(arg.toString());
    }

    /** The role's keys, for a role option; {@code what} names the option in errors. */
    public static RoleKeys roleKeys(String what, List<Path> files, int threshold) {
        try {
            return new RoleKeys(publicKeys(files), threshold);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }
}
