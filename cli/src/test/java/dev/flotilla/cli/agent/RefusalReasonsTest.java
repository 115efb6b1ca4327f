package dev.flotilla.cli.agent;

import dev.flotilla.agent.install.AssignmentRefused;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.server.devices.DeviceEvents;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's list of refusal reasons (the dashboard's "Refused updates") names exactly the agent's refusals:
 * every reason an assignment is refused for before installing (all but "already installed", which the agent
 * does not report), and the update machine's length, hash and anti-rollback refusals.
 */
class RefusalReasonsTest {
    @Test
    void theServerKnowsEveryRefusalTheAgentReportsAndNothingElse() {
        Set<String> agent = new HashSet<>();
        Arrays.stream(AssignmentRefused.Reason.values())
                .filter(r -> r != AssignmentRefused.Reason.ALREADY_INSTALLED).forEach(r -> agent.add(r.name()));
        for (ReasonCode c : new ReasonCode[] {ReasonCode.LENGTH_MISMATCH, ReasonCode.HASH_MISMATCH,
                ReasonCode.SECURITY_VERSION_TOO_LOW}) {
            agent.add(c.name());
        }
        assertThat(DeviceEvents.REFUSAL_REASONS).containsExactlyInAnyOrderElementsOf(agent);
    }
}
