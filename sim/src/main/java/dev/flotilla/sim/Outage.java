package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.rollouts.Cohorts;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Boards offline for a while: before the rollout starts, the network of a few boards goes down ({@link Link});
 * they come back once the rollout halted (or, had it not halted, once its last stage started), and the run is not over until each of them had
 * {@value #CHECK_INS_BACK} check-ins answered since (a board the server handed the release would then be seen
 * mid-update). The boards taken are the next in the rollout's order after its first stage (the order is the
 * server's, {@link Cohorts}, computed from the rollout's and the devices' ids): the ones a halt that came too
 * late would hand the release first. The first stage's boards stay online, as its gate needs their verdicts.
 */
final class Outage implements RolloutWatch.Disruption {
    /** Check-ins answered after coming back before a returned board counts as settled. */
    static final int CHECK_INS_BACK = 2;

    private final AdminApi api;
    private final Fleet fleet;
    private final int count;
    private final int firstStage;
    private final Consumer<String> progress;
    private final List<Fleet.Board> offline = new ArrayList<>();
    private boolean back;

    /**
     * @param count how many boards to take offline (fewer when the fleet beyond the first stage is smaller)
     * @param firstStage how many boards the rollout's first stage holds
     */
    Outage(AdminApi api, Fleet fleet, int count, int firstStage, Consumer<String> progress) {
        this.api = api;
        this.fleet = fleet;
        this.count = count;
        this.firstStage = firstStage;
        this.progress = progress;
    }

    @Override
    public boolean preparesStart() {
        return true;
    }

    /** Takes the boards next in the rollout's order after its first stage offline. */
    @Override
    public void created(String rolloutId) throws IOException {
        Map<String, Fleet.Board> byId = new HashMap<>();
        for (Fleet.Board b : fleet.boards()) {
            Optional<String> id = b.deviceId();
            id.ifPresent(d -> byId.put(d, b));
        }
        List<String> selected = new ArrayList<>();
        api.devices("hardwareId=" + Story.HARDWARE).forEach(d -> selected.add(d.path("id").asText()));
        List<String> ranked = Cohorts.ranked(rolloutId, selected);
        for (String id : ranked.subList(Math.min(firstStage, ranked.size()), ranked.size())) {
            Fleet.Board b = byId.get(id);
            if (b != null && offline.size() < count) {
                b.link().down();
                offline.add(b);
            }
        }
        progress.accept(offline.size() + " board(s) offline (network down) before the rollout starts");
    }

    /**
     * Brings the boards back once the rollout halted (or was aborted), or, had it not halted, once its last stage
     * started (then the release is there for them to get, and the report says so).
     */
    @Override
    public void during(JsonNode rollout, Fleet fleet, Consumer<String> mark) {
        boolean lastStage = rollout.path("stage").asInt() == rollout.path("stages").size() - 1
                && rollout.hasNonNull("stageStartedAt");
        if (!back && (rollout.has("halt") || rollout.path("state").asText().equals("aborted") || lastStage)) {
            back = true;
            offline.forEach(b -> b.link().up());
            mark.accept("offline boards back");
            progress.accept(offline.size() + " offline board(s) back online");
        }
    }

    /** Whether the boards came back and each had its check-ins answered since. */
    @Override
    public boolean over() {
        return back && offline.stream().allMatch(b -> b.link().answeredCheckIns() >= CHECK_INS_BACK);
    }

    /** The boards taken offline. */
    List<Fleet.Board> boards() {
        return List.copyOf(offline);
    }

    /** Boards that came back and had a check-in answered since. */
    int returned() {
        return back ? (int) offline.stream().filter(b -> b.link().answeredCheckIns() > 0).count() : 0;
    }
}
