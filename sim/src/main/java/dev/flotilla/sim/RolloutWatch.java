package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Follows a rollout through the API until it settled: halted (or aborted) with no device still working on
 * the release by the server's count and none mid-update by its own (a board whose new image crashes is
 * mid-update until its bootloader fell back and its agent saw it), or its last stage reached with
 * every admitted device at a verdict; and the run's {@link Disruption} over. Says each stage change and the halt on {@code progress}. After each
 * look that did not find it settled, the run's {@link Disruption} may strike.
 */
final class RolloutWatch {
    /** Funnel states of a device still working on the release. */
    static final List<String> IN_PROGRESS = List.of("pending", "downloading", "downloaded", "installing", "trial");

    private final AdminApi api;
    private final String id;
    private final Fleet fleet;
    private final Consumer<String> progress;
    private final LongSupplier millis;
    private final Disruption disruption;
    private final List<Timeline.Marker> markers = new ArrayList<>();
    private JsonNode last;

    /** What the simulator does to the system while the rollout runs ({@link ServerCrash}). */
    interface Disruption {
        /** No fault. */
        Disruption NONE = (rollout, fleet, mark) -> {
        };

        /**
         * Called after each look at the rollout (on the watch's thread, which waits for it); {@code mark} adds
         * a marker to the timeline at this moment.
         */
        void during(JsonNode rollout, Fleet fleet, Consumer<String> mark) throws IOException, InterruptedException;

        /**
         * Whether the rollout is created unstarted, {@link #created} called, and only then started (for a
         * disruption that must act before the start, knowing the rollout's id).
         */
        default boolean preparesStart() {
            return false;
        }

        /** Called with the id of the rollout created unstarted, before its start (see {@link #preparesStart}). */
        default void created(String rolloutId) throws IOException {
        }

        /** Whether the disruption is over, so the run may end once the rollout settled (checked at each look). */
        default boolean over() {
            return true;
        }
    }

    RolloutWatch(AdminApi api, String id, Fleet fleet, Consumer<String> progress, LongSupplier millis,
                 Disruption disruption) {
        this.millis = millis;
        this.disruption = disruption;
        this.api = api;
        this.id = id;
        this.fleet = fleet;
        this.progress = progress;
    }

    /** Polls until settled or {@code deadline}; whether it settled. */
    boolean awaitSettled(Instant deadline) throws IOException, InterruptedException {
        int stage = -1;
        boolean haltSaid = false;
        while (Instant.now().isBefore(deadline)) {
            last = api.rollout(id);
            String state = last.path("state").asText();
            if (last.path("stage").asInt() != stage && last.hasNonNull("stageStartedAt")) {
                stage = last.path("stage").asInt();
                markers.add(new Timeline.Marker(millis.getAsLong(), "stage " + (stage + 1)));
                progress.accept("stage " + (stage + 1) + " of " + last.path("stages").size() + " started ("
                        + last.path("stages").path(stage).path("size").asInt() + " devices)");
            }
            if (last.has("halt") && !haltSaid) {
                haltSaid = true;
                markers.add(new Timeline.Marker(millis.getAsLong(), "halt"));
                JsonNode h = last.path("halt");
                progress.accept("halted at stage " + (h.path("stage").asInt() + 1) + ": " + h.path("gate").asText()
                        + " " + h.path("observed").asDouble() + " > " + h.path("threshold").asDouble() + " (sample "
                        + h.path("sample").asInt() + ")");
            }
            if (settled(state) && disruption.over()) {
                return true;
            }
            disruption.during(last, fleet, label -> markers.add(new Timeline.Marker(millis.getAsLong(), label)));
            Thread.sleep(500);
        }
        return false;
    }

    private boolean settled(String state) {
        int inProgress = 0;
        for (JsonNode s : last.path("stages")) {
            for (String f : IN_PROGRESS) {
                inProgress += s.path("funnel").path(f).asInt();
            }
        }
        if (state.equals("halted") || state.equals("aborted")) {
            return inProgress == 0 && fleet.noneUpdating();
        }
        JsonNode stages = last.path("stages");
        boolean lastStage = last.path("stage").asInt() == stages.size() - 1 && last.hasNonNull("stageStartedAt");
        return lastStage && inProgress == 0 && verdicts(stages) >= stages.path(stages.size() - 1).path("size").asInt();
    }

    /** Devices at a verdict in all stages (each stage's funnel holds the devices admitted in it). */
    private static int verdicts(JsonNode stages) {
        int n = 0;
        for (JsonNode s : stages) {
            for (String f : List.of("committed", "failed", "rolled_back", "timed_out")) {
                n += s.path("funnel").path(f).asInt();
            }
        }
        return n;
    }

    /** When stages started and the rollout halted, as the watch saw them. */
    List<Timeline.Marker> markers() {
        return List.copyOf(markers);
    }

    /** The rollout as last read. */
    JsonNode last() {
        return last;
    }
}
