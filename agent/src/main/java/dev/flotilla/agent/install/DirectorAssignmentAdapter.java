package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.director.Assignment;
import dev.flotilla.core.director.AssignmentDecision;
import dev.flotilla.core.director.AssignmentVerifier;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;

import java.time.Clock;

/**
 * The director check through core's {@link AssignmentVerifier#verifySigned}: the envelope, the signatures
 * of the trusted root's {@code director} role, the device it names and its expiry. What the claim is then
 * matched against (the TUF-verified target, the counter, the firmware policy) is
 * {@link TufAssignmentVerification}'s job.
 */
public final class DirectorAssignmentAdapter implements DirectorVerifier {
    private final Clock clock;

    public DirectorAssignmentAdapter(Clock clock) {
        this.clock = clock;
    }

    @Override
    public DirectorClaim verify(JsonNode assignment, String deviceId, Metadata<Root> root) throws AssignmentRefused {
        AssignmentDecision d = AssignmentVerifier.verifySigned(assignment, root.signed(), deviceId, clock.instant());
        if (d instanceof AssignmentDecision.Refuse r) {
            AssignmentRefused.Reason reason = switch (r.reason()) {
                case WRONG_DEVICE -> AssignmentRefused.Reason.NOT_FOR_THIS_DEVICE;
                default -> AssignmentRefused.Reason.DIRECTOR_SIGNATURE;
            };
            throw new AssignmentRefused(reason, r.reason() + ": " + r.message());
        }
        Assignment a = ((AssignmentDecision.Accept) d).assignment();
        return new DirectorClaim(a.deploymentId(), a.deviceId(), a.targetPath(), a.length(), a.hashes(),
                a.counter(), a.forced(), a.withdrawn(), a.downloadOnly(), a.installWindow().orElse(null),
                a.soakSeconds());
    }
}
