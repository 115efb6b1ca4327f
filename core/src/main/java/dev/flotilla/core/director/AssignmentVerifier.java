package dev.flotilla.core.director;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.firmware.FirmwareDecision;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.firmware.FirmwarePolicy;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signature;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.client.TargetInfo;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The device-side checks on a director assignment. The director key is online (on the server), so the
 * assignment alone is never enough: the target it names must be in the TUF targets that the device
 * verified with the offline targets key, with identical length and hashes. Checks, in order, the first
 * failure decides:
 * <ol>
 *   <li>the envelope parses ({@code MALFORMED});</li>
 *   <li>the trusted root has a {@code director} role ({@code NO_DIRECTOR_ROLE}) and the assignment carries
 *   its threshold of valid signatures by distinct keys ({@code UNSIGNED});</li>
 *   <li>it names this device ({@code WRONG_DEVICE});</li>
 *   <li>it has not expired ({@code EXPIRED});</li>
 *   <li>its counter is above the last accepted one ({@code REPLAYED}, {@link AcceptedAssignment});</li>
 *   <li>the verified targets list the path ({@code UNKNOWN_TARGET}) with the same length and exactly the same
 *   hashes ({@code TARGET_MISMATCH});</li>
 *   <li>{@link FirmwarePolicy} accepts the target's firmware fields ({@code FIRMWARE_POLICY}).</li>
 * </ol>
 */
public final class AssignmentVerifier {
    private AssignmentVerifier() {
    }

    /** What the device knows when it judges an assignment. */
    public record DeviceState(String deviceId, long lastAcceptedCounter, DeviceFacts facts) {
    }

    /**
     * Verifies an assignment envelope.
     *
     * @param envelope   the bytes received from the server
     * @param root       the device's trusted root (from its TUF client)
     * @param targets    looks a target path up in the verified TUF targets, e.g. {@code updater::getTargetInfo}
     */
    public static AssignmentDecision verify(byte[] envelope, Root root, DeviceState device, Instant now,
                                            Function<String, Optional<TargetInfo>> targets) {
        JsonNode env;
        try {
            env = CanonicalJson.parse(envelope);
        } catch (JsonFormatException e) {
            return refuse(AssignmentDecision.Reason.MALFORMED, "not JSON: " + e.getMessage());
        }
        return verify(env, root, device, now, targets);
    }

    public static AssignmentDecision verify(JsonNode env, Root root, DeviceState device, Instant now,
                                            Function<String, Optional<TargetInfo>> targets) {
        AssignmentDecision signed = verifySigned(env, root, device.deviceId(), now);
        if (signed instanceof AssignmentDecision.Refuse) {
            return signed;
        }
        Assignment a = ((AssignmentDecision.Accept) signed).assignment();
        Optional<String> replay = AcceptedAssignment.above(device.lastAcceptedCounter()).replay(a.counter(), "");
        if (replay.isPresent()) {
            return refuse(AssignmentDecision.Reason.REPLAYED, replay.get());
        }
        Optional<TargetInfo> info;
        try {
            info = targets.apply(a.targetPath());
        } catch (RepositoryError e) {
            return refuse(AssignmentDecision.Reason.UNKNOWN_TARGET, "TUF lookup of '" + a.targetPath()
                    + "' failed: " + e.getMessage());
        }
        if (info.isEmpty()) {
            return refuse(AssignmentDecision.Reason.UNKNOWN_TARGET, "the signed targets do not list '"
                    + a.targetPath() + "'");
        }
        TargetFile tf = info.get().file();
        if (tf.length() != a.length() || !lowercase(tf.hashes()).equals(lowercase(a.hashes()))) {
            return refuse(AssignmentDecision.Reason.TARGET_MISMATCH, "the assignment's length or hashes for '"
                    + a.targetPath() + "' differ from the signed target entry");
        }
        FirmwareDecision fw;
        try {
            fw = FirmwarePolicy.check(FirmwareInfo.fromTarget(tf), device.facts());
        } catch (RepositoryError e) {
            return refuse(AssignmentDecision.Reason.FIRMWARE_POLICY, e.getMessage());
        }
        if (fw instanceof FirmwareDecision.Refuse r) {
            return new AssignmentDecision.Refuse(AssignmentDecision.Reason.FIRMWARE_POLICY, r.message(), r.reason());
        }
        return new AssignmentDecision.Accept(a, info.get());
    }

    /**
     * The first checks only (envelope, director signatures, device, expiry), for a device that matches the
     * target against its verified TUF targets, its counter and its firmware policy itself. The returned
     * decision is {@code Accept(assignment, null)} or a {@code Refuse}; an accepted result here is NOT
     * enough to install anything.
     */
    public static AssignmentDecision verifySigned(JsonNode env, Root root, String deviceId, Instant now) {
        if (env == null || !env.isObject() || !env.path("signed").isObject() || !env.path("signatures").isArray()) {
            return refuse(AssignmentDecision.Reason.MALFORMED, "expected {\"signed\": {...}, \"signatures\": [...]}");
        }
        Assignment a;
        byte[] signedBytes;
        try {
            a = Assignment.fromJson(env.get("signed"));
            signedBytes = CanonicalJson.encode(env.get("signed"));
        } catch (IllegalArgumentException | JsonFormatException e) {
            return refuse(AssignmentDecision.Reason.MALFORMED, e.getMessage());
        }
        Role director = root.roles().get("director");
        if (director == null) {
            return refuse(AssignmentDecision.Reason.NO_DIRECTOR_ROLE, "the trusted root has no 'director' role");
        }
        int valid;
        try {
            valid = Metadata.validSignatures(director, root.keys(), Signature.listFromJson(env.get("signatures")),
                    signedBytes);
        } catch (RepositoryError e) {
            return refuse(AssignmentDecision.Reason.MALFORMED, e.getMessage());
        }
        if (valid < director.threshold()) {
            return refuse(AssignmentDecision.Reason.UNSIGNED, "assignment has " + valid
                    + " valid director signature(s) of the " + director.threshold() + " required");
        }
        if (!a.deviceId().equals(deviceId)) {
            return refuse(AssignmentDecision.Reason.WRONG_DEVICE, "assignment is for device " + a.deviceId());
        }
        if (!a.expires().isAfter(now)) {
            return refuse(AssignmentDecision.Reason.EXPIRED, "assignment expired at " + a.expires());
        }
        return new AssignmentDecision.Accept(a, null);
    }

    private static Map<String, String> lowercase(Map<String, String> hashes) {
        Map<String, String> out = new java.util.TreeMap<>();
        hashes.forEach((k, v) -> out.put(k, v.toLowerCase(java.util.Locale.ROOT)));
        return out;
    }

    private static AssignmentDecision refuse(AssignmentDecision.Reason reason, String message) {
        return new AssignmentDecision.Refuse(reason, message);
    }
}
