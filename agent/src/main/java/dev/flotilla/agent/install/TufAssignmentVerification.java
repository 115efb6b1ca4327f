package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.install.AssignmentRefused.Reason;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.core.director.AcceptedAssignment;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.firmware.FirmwareDecision;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.firmware.FirmwarePolicy;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.client.DownloadError;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The checks before a byte is written (docs/security-model): refresh TUF metadata; verify the director's
 * assignment ({@link DirectorVerifier}); refuse a replay by core's one rule ({@link AcceptedAssignment}: a
 * new assignment needs a counter strictly above the highest accepted one); find the target in the verified
 * targets metadata and require the assignment's length and every hash it names to equal the signed ones
 * (SHA-256 must be among them); then the firmware policy (hardware id, minimum installed version,
 * securityVersion >= the device's counter, not already installed). The highest accepted counter and the
 * digest of the assignment accepted with it are stored through the storage seam ({@code COUNTER DIGEST}).
 * That same assignment, read again, passes: the device may not have started it yet (a power cut right after
 * this check). Whether it already finished is the update machine's check
 * ({@link dev.flotilla.agent.update.StateStore.Finished}). A file from an older agent holds the counter
 * alone: then only a higher counter passes.
 */
public final class TufAssignmentVerification implements AssignmentVerification {
    private final Updater updater;
    private final DirectorVerifier director;
    private final String deviceId;
    private final Path counterFile;
    private final Durable durable;

    public TufAssignmentVerification(Updater updater, DirectorVerifier director, String deviceId, Path counterFile,
            Durable durable) {
        this.updater = updater;
        this.director = director;
        this.deviceId = deviceId;
        this.counterFile = counterFile;
        this.durable = durable;
    }

    @Override
    public Assignment verify(JsonNode assignment, DeviceFacts device) throws AssignmentRefused, IOException {
        refresh(updater);
        DirectorClaim claim = director.verify(assignment, deviceId, updater.trusted().root());
        if (!deviceId.equals(claim.deviceId())) {
            throw new AssignmentRefused(Reason.NOT_FOR_THIS_DEVICE, "the assignment names device " + claim.deviceId());
        }
        AcceptedAssignment accepted = accepted();
        String digest = AcceptedAssignment.digest(assignment);
        Optional<String> replay = accepted.replay(claim.counter(), digest);
        if (replay.isPresent()) {
            throw new AssignmentRefused(Reason.REPLAYED, replay.get());
        }
        Optional<TargetInfo> info;
        try {
            info = updater.getTargetInfo(claim.targetPath());
        } catch (RepositoryError e) {
            throw new AssignmentRefused(Reason.METADATA_REFUSED, e.getMessage());
        } catch (DownloadError e) {
            throw new IOException("fetching delegated targets: " + e.getMessage(), e);
        }
        if (info.isEmpty()) {
            throw new AssignmentRefused(Reason.TARGET_NOT_SIGNED, "target '" + claim.targetPath()
                    + "' is not in the signed targets metadata");
        }
        TargetFile signed = info.get().file();
        matches(claim, signed);
        FirmwareInfo fw;
        try {
            fw = FirmwareInfo.fromTarget(signed);
        } catch (RuntimeException e) {
            throw new AssignmentRefused(Reason.MALFORMED, "target has no valid firmware fields: " + e.getMessage());
        }
        if (FirmwarePolicy.check(fw, device) instanceof FirmwareDecision.Refuse r) {
            throw new AssignmentRefused(Reason.valueOf(r.reason().name()), r.message());
        }
        if (claim.counter() > accepted.counter()) {
            Files.createDirectories(counterFile.toAbsolutePath().getParent());
            durable.replace(counterFile, (claim.counter() + " " + digest).getBytes(StandardCharsets.US_ASCII));
        }
        return new Assignment(claim.assignmentId(), claim.targetPath(), fw.version(), signed.length(),
                signed.hashes().get("sha256"), fw.securityVersion(), claim.forced(), claim.counter(), claim.withdrawn(),
                claim.downloadOnly(), claim.installWindow(), claim.soakSeconds());
    }

    /** Refreshes top-level metadata: transport failures are IOExceptions, refused metadata a refusal. */
    static void refresh(Updater updater) throws AssignmentRefused, IOException {
        try {
            updater.refresh();
        } catch (RepositoryError e) {
            throw new AssignmentRefused(Reason.METADATA_REFUSED, e.getMessage());
        } catch (DownloadError e) {
            throw new IOException("TUF refresh: " + e.getMessage(), e);
        }
    }

    private static void matches(DirectorClaim claim, TargetFile signed) throws AssignmentRefused {
        if (claim.length() != signed.length()) {
            throw new AssignmentRefused(Reason.LENGTH_OR_HASH_MISMATCH, "assignment length " + claim.length()
                    + " differs from the signed length " + signed.length());
        }
        if (!claim.hashes().containsKey("sha256") || !signed.hashes().containsKey("sha256")) {
            throw new AssignmentRefused(Reason.LENGTH_OR_HASH_MISMATCH,
                    "the assignment and the signed target must both name a sha256");
        }
        for (Map.Entry<String, String> h : claim.hashes().entrySet()) {
            String s = signed.hashes().get(h.getKey());
            if (s == null || !s.equalsIgnoreCase(h.getValue())) {
                throw new AssignmentRefused(Reason.LENGTH_OR_HASH_MISMATCH, h.getKey() + " of the assignment ("
                        + h.getValue() + ") differs from the signed target's (" + s + ")");
            }
        }
    }

    /** The stored highest accepted counter and digest ({@code COUNTER DIGEST}, or {@code COUNTER} alone). */
    private AcceptedAssignment accepted() throws IOException {
        if (!Files.exists(counterFile)) {
            return AcceptedAssignment.NONE;
        }
        String[] parts = Files.readString(counterFile, StandardCharsets.US_ASCII).trim().split(" ", 2);
        return new AcceptedAssignment(Long.parseLong(parts[0]), parts.length > 1 ? parts[1] : "");
    }
}
