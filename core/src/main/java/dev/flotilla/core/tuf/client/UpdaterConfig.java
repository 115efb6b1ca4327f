package dev.flotilla.core.tuf.client;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where an updater keeps trusted metadata and targets, where it fetches them, and its limits.
 *
 * @param metadataDir          trusted metadata ({@code root.json}, {@code timestamp.json}, ...)
 * @param metadataBaseUrl      base URL of metadata, ending in {@code /}
 * @param targetDir            where downloaded targets go (may be null when only metadata is used)
 * @param targetBaseUrl        base URL of targets, ending in {@code /} (may be null)
 * @param maxRootRotations     most new root versions accepted in one refresh
 * @param maxDelegations       most targets roles visited in one target search
 * @param rootMaxLength        byte cap for root files
 * @param timestampMaxLength   byte cap for timestamp
 * @param snapshotMaxLength    byte cap for snapshot when timestamp gives no length
 * @param targetsMaxLength     byte cap for targets roles when snapshot gives no length
 * @param prefixTargetsWithHash fetch {@code HASH.name} targets when root says consistent_snapshot
 */
public record UpdaterConfig(Path metadataDir, URI metadataBaseUrl, Path targetDir, URI targetBaseUrl,
                            int maxRootRotations, int maxDelegations, long rootMaxLength, long timestampMaxLength,
                            long snapshotMaxLength, long targetsMaxLength, boolean prefixTargetsWithHash) {

    /** The defaults python-tuf and tuf-js use. */
    public static UpdaterConfig of(Path metadataDir, URI metadataBaseUrl, Path targetDir, URI targetBaseUrl) {
        return new UpdaterConfig(metadataDir, slash(metadataBaseUrl), targetDir,
                targetBaseUrl == null ? null : slash(targetBaseUrl), 256, 32, 512_000, 16_384, 2_000_000,
                5_000_000, true);
    }

    private static URI slash(URI u) {
        String s = u.toString();
        return s.endsWith("/") ? u : URI.create(s + "/");
    }
}
