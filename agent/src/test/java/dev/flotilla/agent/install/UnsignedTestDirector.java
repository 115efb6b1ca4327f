package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TEST ONLY: reads an unsigned assignment {@code {id, deviceId, target, length, hashes, counter, forced}}.
 * It stands in for the director signature check so that the checks after it (TUF match, policy, replay,
 * download) can be tested before core's director verifier exists. Production wiring uses
 * {@link DirectorAssignmentAdapter}.
 */
public final class UnsignedTestDirector implements DirectorVerifier {
    @Override
    public DirectorClaim verify(JsonNode a, String deviceId, Metadata<Root> root) throws AssignmentRefused {
        if (!a.path("target").isTextual()) {
            throw new AssignmentRefused(AssignmentRefused.Reason.MALFORMED, "no target");
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        a.path("hashes").fields().forEachRemaining(e -> hashes.put(e.getKey(), e.getValue().asText()));
        return new DirectorClaim(a.path("id").asText(), a.path("deviceId").asText(), a.path("target").asText(),
                a.path("length").asLong(), hashes, a.path("counter").asLong(), a.path("forced").asBoolean());
    }

    /** An assignment in this test format for a signed target. */
    public static com.fasterxml.jackson.databind.node.ObjectNode assignment(String id, String deviceId, String target,
            dev.flotilla.core.tuf.TargetFile file, long counter, boolean forced) {
        var o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        o.put("id", id).put("deviceId", deviceId).put("target", target).put("length", file.length())
                .put("counter", counter).put("forced", forced);
        var h = o.putObject("hashes");
        file.hashes().forEach(h::put);
        return o;
    }
}
