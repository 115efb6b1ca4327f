package dev.flotilla.agent.install;

import dev.flotilla.core.director.MaintenanceWindow;
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
 * @param withdrawn    the deployment {@code assignmentId} is withdrawn from the device
 * @param downloadOnly download and verify, do not install
 * @param installWindow the signed install window, or null
 * @param soakSeconds  the signed soak time of the rollout stage (0: none)
 */
public record DirectorClaim(String assignmentId, String deviceId, String targetPath, long length,
        Map<String, String> hashes, long counter, boolean forced, boolean withdrawn, boolean downloadOnly,
        MaintenanceWindow installWindow, long soakSeconds) {

    /** A claim without a soak time. */
    public DirectorClaim(String assignmentId, String deviceId, String targetPath, long length,
            Map<String, String> hashes, long counter, boolean forced, boolean withdrawn, boolean downloadOnly,
            MaintenanceWindow installWindow) {
        this(assignmentId, deviceId, targetPath, length, hashes, counter, forced, withdrawn, downloadOnly,
                installWindow, 0);
    }

    /** A claim to install, without the rollout fields. */
    public DirectorClaim(String assignmentId, String deviceId, String targetPath, long length,
            Map<String, String> hashes, long counter, boolean forced) {
        this(assignmentId, deviceId, targetPath, length, hashes, counter, forced, false, false, null);
    }

    public DirectorClaim {
        hashes = Map.copyOf(hashes);
    }
}
