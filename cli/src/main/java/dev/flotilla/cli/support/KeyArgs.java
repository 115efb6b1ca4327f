package dev.flotilla.cli.support;

import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.repo.RoleKeys;

import java.nio.file.Path;
import java.util.List;

/** Loads the key files named on a command line. */
public final class KeyArgs {
    private KeyArgs() {
    }

    public static List<Key> publicKeys(List<Path> files) {
        return files.stream().map(KeyFiles::loadPublicKey).toList();
    }

    public static List<KeySigner> signers(List<Path> files) {
        return files.stream().map(KeyFiles::loadSigner).toList();
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
