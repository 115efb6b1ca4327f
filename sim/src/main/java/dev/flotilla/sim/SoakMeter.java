package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The {@code soak} scenario's watch: while the rollout runs (at each look of the {@link RolloutWatch}) and
 * then every second until the soak time is over, it samples how many boards are mid-update (between starting a
 * download and the update's end); at the end it reads the server process's resident memory. The check-in
 * figures come from the boards' {@link MeasuredHttp}.
 */
final class SoakMeter implements RolloutWatch.Disruption {
    private static final Duration SAY_EVERY = Duration.ofSeconds(30);
    private final Fleet fleet;
    private final long serverPid;
    private int peakUpdating;

    SoakMeter(Fleet fleet, long serverPid) {
        this.fleet = fleet;
        this.serverPid = serverPid;
    }

    @Override
    public void during(JsonNode rollout, Fleet f, Consumer<String> mark) {
        sample();
    }

    private void sample() {
        peakUpdating = Math.max(peakUpdating, fleet.updating());
    }

    /** Keeps the fleet checking in until {@code until}, sampling every second and saying how it goes. */
    void hold(Instant until, Consumer<String> progress) throws InterruptedException {
        Instant say = Instant.now();
        while (Instant.now().isBefore(until)) {
            sample();
            if (!Instant.now().isBefore(say)) {
                MeasuredHttp.Figures f = fleet.requests();
                progress.accept(String.format("soak: %d check-ins, p99 %.1f ms, %d failed requests, %d s left",
                        f.checkIns(), f.checkInP99Millis(), f.failed(),
                        Duration.between(Instant.now(), until).toSeconds()));
                say = Instant.now().plus(SAY_EVERY);
            }
            Thread.sleep(1000);
        }
    }

    /** The soak figures for the report's {@code load}. */
    ObjectNode figures(long soakMinutes) {
        return CanonicalJson.mapper().createObjectNode().put("soakMinutes", soakMinutes)
                .put("peakUpdating", peakUpdating)
                .put("serverRssMiB", ProcessMemory.of(serverPid).map(ProcessMemory::rssMiB).orElse(-1L))
                .put("serverPeakRssMiB", ProcessMemory.of(serverPid).map(ProcessMemory::hwmMiB).orElse(-1L));
    }
}
