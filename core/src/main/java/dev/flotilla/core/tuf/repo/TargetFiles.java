package dev.flotilla.core.tuf.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.tuf.TargetFile;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/** Describes target content as a target entry: length plus sha256 and sha512, computed while streaming. */
public final class TargetFiles {
    private TargetFiles() {
    }

    /** The entry for the content, with the given {@code custom} object (may be null). */
    public static TargetFile describe(TargetContent content, ObjectNode custom) throws IOException {
        MessageDigest sha256 = Digests.create("sha256");
        MessageDigest sha512 = Digests.create("sha512");
        long length = 0;
        try (InputStream in = content.open()) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha256.update(buf, 0, n);
                sha512.update(buf, 0, n);
                length += n;
            }
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        hashes.put("sha256", Hex.encode(sha256.digest()));
        hashes.put("sha512", Hex.encode(sha512.digest()));
        return new TargetFile(length, hashes, custom, Map.of());
    }
}
