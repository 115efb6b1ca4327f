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
 * @param snapshotMaxLength    byte cap for snapshot (a smaller length signed in timestamp lowers it)
 * @param targetsMaxLength     byte cap for each targets role (a smaller length signed in snapshot lowers it)
 * @param prefixTargetsWithHash fetch {@code HASH.name} targets when root says consistent_snapshot
 */
public record UpdaterConfig(Path metadataDir, URI metadataBaseUrl, Path targetDir, URI targetBaseUrl,
                            int maxRootRotations, int maxDelegations, long rootMaxLength, long timestampMaxLength,
                            long snapshotMaxLength, long targetsMaxLength, boolean prefixTargetsWithHash) {

    /**
     * The defaults (those of python-tuf and tuf-js): 256 root rotations, 32 delegations, and byte caps of
     * 512,000 for root, 16,384 for timestamp, 2,000,000 for snapshot and 5,000,000 for each targets role.
     */
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
