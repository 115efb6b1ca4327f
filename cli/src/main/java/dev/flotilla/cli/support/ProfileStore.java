package dev.flotilla.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where {@code flotilla login} keeps the saved {@link Profile}: {@code profile.json} in the CLI's config
 * directory, {@code $XDG_CONFIG_HOME/flotilla} or else {@code ~/.config/flotilla}. On a POSIX file system the
 * directory is made owner-only (0700) and the file is written owner-only (0600), through a temporary file
 * renamed into place, so the token is never readable by other users, not even for a moment.
 */
public final class ProfileStore {
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Path file;

    /** A store whose profile lives in {@code dir/profile.json}. */
    public ProfileStore(Path dir) {
        this.file = dir.resolve("profile.json");
    }

    /** The store in this user's config directory (from the process's environment). */
    public static ProfileStore standard() {
        return new ProfileStore(configDir(System.getenv(), System.getProperty("user.home")));
    }

    /**
     * The CLI's config directory: {@code $XDG_CONFIG_HOME/flotilla} when XDG_CONFIG_HOME is an absolute
     * path (the XDG base directory rule), otherwise {@code $HOME/.config/flotilla} ({@code userHome} when
     * HOME is unset).
     */
    static Path configDir(Map<String, String> env, String userHome) {
        String xdg = env.get("XDG_CONFIG_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "flotilla");
        }
        String home = env.getOrDefault("HOME", userHome);
        return Path.of(home == null || home.isBlank() ? userHome : home, ".config", "flotilla");
    }

    /** The profile file. */
    public Path file() {
        return file;
    }

    /**
     * The saved profile, or empty when there is none.
     *
     * @throws IllegalArgumentException (one line) when the file cannot be read or is not a profile
     */
    public Optional<Profile> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = CanonicalJson.mapper().readTree(Files.readAllBytes(file));
            String ca = n.path("caBundle").isTextual() ? n.path("caBundle").asText() : null;
            return Optional.of(new Profile(n.path("server").asText(null), n.path("token").asText(null),
                    ca == null ? null : Path.of(ca)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": not a readable saved profile (" + e.getMessage()
                    + "); run 'flotilla login --server URL' again, or 'flotilla logout' to remove it");
        }
    }

    /** Saves the profile, replacing any earlier one; owner-only (see the class comment). */
    public void save(Profile profile) throws IOException {
        ObjectNode n = CanonicalJson.mapper().createObjectNode();
        n.put("server", profile.server());
        n.put("token", profile.token());
        if (profile.caBundle() != null) {
            n.put("caBundle", profile.caBundle().toAbsolutePath().toString());
        }
        byte[] bytes = CanonicalJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
            Files.setPosixFilePermissions(dir, DIR_MODE);
        } else {
            Files.createDirectories(dir);
        }
        Path tmp = posix ? Files.createTempFile(dir, ".profile", ".tmp", PosixFilePermissions.asFileAttribute(FILE_MODE))
                : Files.createTempFile(dir, ".profile", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Removes the saved profile; whether there was one. */
    public boolean delete() throws IOException {
        return Files.deleteIfExists(file);
    }
}
