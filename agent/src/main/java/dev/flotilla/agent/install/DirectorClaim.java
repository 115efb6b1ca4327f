package dev.flotilla.agent.install;

import java.util.Map;

/**
 * What a director assignment says once its signature was verified: install {@code targetPath} with this
 * length and these hashes on {@code deviceId}.
 *
 * @param assignmentId the assignment's id (reported with every event)
 * @param deviceId     the device it names
 * @param targetPath   the TUF target path
 * @param length       the length the director names (must equal the signed target's)
 * @param hashes       algorithm to hex digest (every one must equal the signed target's)
 * @param counter      increases with every new assignment for the device (replay protection)
 * @param forced       install at once, ignoring maintenance windows
 */
public record DirectorClaim(String assignmentId, String deviceId, String targetPath, long length,
        Map<String, String> hashes, long counter, boolean forced) {
    public DirectorClaim {
        hashes = Map.copyOf(hashes);
    }
}
