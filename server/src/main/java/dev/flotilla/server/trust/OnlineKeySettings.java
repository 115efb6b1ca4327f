package dev.flotilla.server.trust;

import java.nio.file.Path;

/**
 * Where a server's online keys come from, and whether they may differ from those the trusted root names.
 *
 * @param dir          a directory holding {@code snapshot.pem}, {@code timestamp.pem} and {@code director.pem},
 *                     put there by the operator (copied from a secret store, say; it may be read-only): the
 *                     server reads them and never creates one. Null: {@code DATA_DIR/keys}, where the server
 *                     creates any key that is missing.
 * @param notYetInRoot start even when the trusted root does not name these keys: only after replacing stolen
 *                     keys, until the next root names the new ones ({@code flotilla trust rotate
 *                     --expect-online-keys}); otherwise such a start is refused
 */
public record OnlineKeySettings(Path dir, boolean notYetInRoot) {
    /** The default: {@code DATA_DIR/keys}, created on first start, and they must be the trusted root's. */
    public static final OnlineKeySettings DATA_DIRECTORY = new OnlineKeySettings(null, false);

    public OnlineKeySettings {
        dir = dir == null ? null : dir.toAbsolutePath().normalize();
    }
}
