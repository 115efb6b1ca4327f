package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;

/**
 * The adapter to core's director verification ({@code dev.flotilla.core.director.AssignmentVerifier}),
 * which is being written next to the server's director. Until that verifier is wired here, this adapter
 * cannot check a director signature and therefore refuses every assignment with
 * {@link AssignmentRefused.Reason#DIRECTOR_SIGNATURE}: an assignment is never accepted by default.
 */
public final class DirectorAssignmentAdapter implements DirectorVerifier {
    @Override
    public DirectorClaim verify(JsonNode assignment, String deviceId, Metadata<Root> root) throws AssignmentRefused {
        throw new AssignmentRefused(AssignmentRefused.Reason.DIRECTOR_SIGNATURE,
                "this agent has no director signature verifier wired; refusing the assignment unverified");
    }
}
