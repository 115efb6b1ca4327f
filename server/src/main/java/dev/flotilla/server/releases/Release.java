package dev.flotilla.server.releases;

/** A released image: its target path, size, hashes, firmware version and the targets version that added it. */
public record Release(String targetPath, long length, String sha256, String sha512, String version,
                     long targetsVersion, String createdAt) {
}
