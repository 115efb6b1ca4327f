package dev.flotilla.server.releases;

import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Routes;
import org.jdbi.v3.core.Jdbi;

/**
 * Who may download a released image ({@code /tuf/targets/}). An operator of any role may download any; a
 * device only the image of its current assignment (table {@code device_assignments}, of which only
 * {@code device_id} and {@code target_path} are read). When the server serves artifacts publicly (for
 * mirrors and CDNs) anyone may: TUF, not secrecy, is what protects a device from wrong bytes.
 */
public final class ArtifactAccess {
    private final Jdbi jdbi;

    public ArtifactAccess(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * Allows {@code caller} to download {@code release}.
     *
     * @throws DomainError.Forbidden {@code forbidden} when a device asks for an image it was not assigned
     */
    public void require(Routes.Caller caller, Release release) {
        switch (caller) {
            case Routes.OperatorCaller operator -> {
                // any role may read what the releases listing already shows
            }
            case Routes.DeviceTokenCaller device -> {
                if (!assigned(device.deviceId(), release.targetPath())) {
                    throw new DomainError.Forbidden("forbidden", "a device downloads only the image it was assigned");
                }
            }
        }
    }

    private boolean assigned(String deviceId, String targetPath) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT COUNT(*) FROM device_assignments WHERE device_id = :d AND target_path = :p")
                .bind("d", deviceId).bind("p", targetPath).mapTo(Long.class).one()) > 0;
    }
}
