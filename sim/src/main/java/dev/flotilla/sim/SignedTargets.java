package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.CanonicalJson;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The images the repository signed, by SHA-256: read from the server's signed {@code targets.json}, so a
 * slot's bytes are judged against what was signed, not against what the simulator meant to publish.
 */
final class SignedTargets {
    private final Map<String, String> versionByHash;

    private SignedTargets(Map<String, String> versionByHash) {
        this.versionByHash = Map.copyOf(versionByHash);
    }

    /**
     * Parses signed targets metadata; {@code versions} names the version of each target path of interest
     * (other targets are ignored).
     */
    static SignedTargets parse(byte[] targetsJson, Map<String, String> versions) throws IOException {
        JsonNode targets = CanonicalJson.mapper().readTree(targetsJson).path("signed").path("targets");
        Map<String, String> byHash = new HashMap<>();
        versions.forEach((path, version) -> {
            String sha = targets.path(path).path("hashes").path("sha256").asText("");
            if (!sha.isEmpty()) {
                byHash.put(sha, version);
            }
        });
        if (byHash.size() != versions.size()) {
            throw new IOException("the signed targets lack some of " + versions.keySet());
        }
        return new SignedTargets(byHash);
    }

    /** The signed version whose image is the first {@code length} bytes of {@code file}, if any. */
    Optional<String> match(Path file, long length) throws IOException {
        return Optional.ofNullable(versionByHash.get(sha256(file, length)));
    }

    static String sha256(Path file, long length) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    return "short:" + (length - left); // the slot holds less than the header claims
                }
                md.update(buf, 0, n);
                left -= n;
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
