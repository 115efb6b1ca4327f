package dev.flotilla.server.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.server.devices.DeviceEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A device's events grouped per update attempt, as its page shows them. */
class TimelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<DeviceEvent> received = new ArrayList<>();

    /** Records an event as received next; {@code assignment} null for one tied to no update. */
    private void event(String type, String assignment) {
        ObjectNode d = JSON.createObjectNode().put("reason", "R");
        if (assignment != null) {
            d.put("deploymentId", assignment).put("version", assignment.equals("rol_a") ? "1.1" : "1.2");
        }
        received.add(new DeviceEvent("dev_1", "e" + received.size(), type, null,
                "2026-12-02T10:00:" + (10 + received.size()) + "Z", d));
    }

    private Timeline.Grouped grouped() {
        return Timeline.of(received.reversed(), Set.of("rol_a", "dep_x")); // the page reads them newest first
    }

    private static List<String> labels(List<Timeline.Step> steps) {
        return steps.stream().map(Timeline.Step::label).toList();
    }

    @Test
    void eachAssignmentIsOneUpdateNewestFirstWithItsStepsInTheOrderTheyHappened() {
        event("download_started", "rol_a");
        event("downloaded", "rol_a");
        event("failed", null);
        event("trial_boot", "rol_a");
        event("committed", "rol_a");
        event("download_started", "rol_b");

        Timeline.Grouped g = grouped();
        assertThat(g.updates()).extracting(Timeline.Update::deploymentId).containsExactly("rol_b", "rol_a");
        Timeline.Update a = g.updates().get(1);
        assertThat(labels(a.steps())).containsExactly("download started", "downloaded", "trial boot", "committed");
        assertThat(a.version()).isEqualTo("1.1");
        assertThat(a.kind()).isEqualTo("Rollout");
        assertThat(a.outcome()).isEqualTo("committed");
        assertThat(a.attempts()).isEqualTo(1);
        assertThat(g.updates().get(0).outcome()).isEqualTo("in progress");
        assertThat(g.updates()).extracting(Timeline.Update::member).as("only rol_a is the device's")
                .containsExactly(false, true);
        assertThat(Timeline.assignments(received)).containsExactlyInAnyOrder("rol_a", "rol_b");
        assertThat(labels(g.other())).containsExactly("failed");
        assertThat(a.steps().get(0).details()).as("what the heading shows is not repeated").isEqualTo("{\"reason\":\"R\"}");
        assertThat(a.steps().get(0).at()).as("the time received when the device sent none").endsWith("Z");
    }

    @Test
    void aDownloadAfterAnOutcomeStartsTheNextAttemptAndALaterFailureStaysInItsAttempt() {
        event("download_started", "rol_a");
        event("rolled_back", "rol_a");
        event("download_started", "rol_a");
        event("committed", "rol_a");
        event("health_failed", "rol_a");

        List<Timeline.Update> updates = grouped().updates();
        assertThat(updates).extracting(Timeline.Update::attempt).containsExactly(2, 1);
        assertThat(updates).extracting(Timeline.Update::attempts).containsExactly(2, 2);
        assertThat(updates).extracting(Timeline.Update::outcome).containsExactly("failed", "rolled back");
        assertThat(labels(updates.get(0).steps())).containsExactly("download started", "committed", "health failed");
    }

    @Test
    void anAssignmentIdServesWhenThereIsNoDeploymentIdAndNoEventsGiveAnEmptyTimeline() {
        received.add(new DeviceEvent("dev_1", "e1", "downloaded", "2026-12-02T10:00:00Z", "2026-12-02T10:00:01Z",
                JSON.createObjectNode().put("assignmentId", "dep_x")));
        assertThat(grouped().updates()).singleElement().satisfies(u -> {
            assertThat(u.deploymentId()).isEqualTo("dep_x");
            assertThat(u.version()).isNull();
            assertThat(u.href()).isEqualTo("/ui/rollouts/dep_x");
            assertThat(u.kind()).isEqualTo("Deployment");
            assertThat(u.steps().get(0).details()).isNull();
        });
        assertThat(Timeline.of(List.of(), Set.of()).isEmpty()).isTrue();
    }
}
