package dev.flotilla.core.tuf.repo;

import java.nio.charset.StandardCharsets;

/** File names in a consistent-snapshot repository. */
final class Names {
    private Names() {
    }

    /**
     * {@code V.ROLE.json} with the role percent-encoded like python-tuf's {@code quote(name, '')}: the name
     * in the URL a client requests.
     */
    static String metadataFile(String role, long version) {
        return version + "." + quote(role) + ".json";
    }

    /**
     * {@code V.ROLE.json} with the role name as is: the file a static HTTP server finds after decoding the
     * client's percent-encoded URL. Equal to {@link #metadataFile} for names of unreserved characters.
     */
    static String decodedMetadataFile(String role, long version) {
        return version + "." + role + ".json";
    }

    /** Percent-encodes everything but unreserved characters ({@code /} too). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~';
            if (unreserved) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    /**
     * Checks a target path: relative, {@code /}-separated, no empty, {@code .} or {@code ..} segments, no
     * backslash or NUL.
     *
     * @throws IllegalArgumentException otherwise
     */
    static String checkTargetPath(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid target path '" + path + "'");
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("invalid target path '" + path + "'");
            }
        }
        return path;
    }

    /** {@code DIR/HASH.basename} for a target path. */
    static String hashPrefixed(String targetPath, String hash) {
        int slash = targetPath.lastIndexOf('/');
        return targetPath.substring(0, slash + 1) + hash + "." + targetPath.substring(slash + 1);
    }
}
