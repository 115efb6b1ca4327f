package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.json.CanonicalJson;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A run's results. The safety figures come from the boards, not from what their agents said: {@code bricked}
 * and {@code corruptedInstalls} from {@link Inspection} (boot environment and slot bytes hashed against the
 * signed targets), {@code unverifiedBoots} and {@code blastRadiusPercent} from the boots the simulator saw
 * ({@link DeviceRecord}), {@code lostReports} from each board's own queue record compared with the server's
 * event log. The rollout's figures ({@code haltedAtStage}, stages) are the server's.
 *
 * @param settled whether the rollout completed or halted and every device settled before the deadline
 * @param updated boards whose next boot runs the release, verified
 * @param rolledBack boards that tried the release (a crash on boot counts) and run the baseline again
 * @param bricked boards whose next boot runs no image whose bytes are a signed target
 * @param unverifiedBoots boots, over the run, of an image whose bytes were not the signed target it claims
 * @param corruptedInstalls boards whose boot environment names a slot holding bytes that do not verify
 * @param quitBoards boards whose agent ended by itself during the run (a refusal it does not retry, for
 *     instance), seen from the board's thread ending; they count in every other figure as they are found
 * @param lostReports events the boards durably queued that the server's event log does not hold
 * @param offlineDevices boards whose network was down from before the rollout's start until it halted
 *     ({@link Outage}; 0 when the scenario takes none offline)
 * @param offlineReturned of those, boards that came back and had a check-in answered
 * @param offlineGotRelease of those, boards that ever tried to boot the release or hold its image (or the start
 *     of it) in a slot: must be 0, as a halted rollout hands the release to no one more
 * @param haltedAtStage the stage (from 1) the rollout halted at, or null
 * @param blastRadiusPercent boards that tried the release, as a percentage of the fleet
 * @param timeToHaltSeconds from the rollout's creation to its halt, in simulated seconds (wall x speed), or null
 * @param falseHalts 1 when a good release halted, else 0
 * @param versions boards per version their next boot runs ("none" when none verifies)
 * @param faults what the fault injection did (the faulty proxy's {@code connections}, {@code downloads} and
 *     {@code brokenDownloads}); empty when the scenario injects none
 * @param stages per stage (from 1): size, status and the funnel (states with no device left out), as the
 *     server counts them
 * @param load the boards' requests to the device API as their HTTP client saw them, over the fleet's run:
 *     {@code requests}, {@code failedRequests} (no answer or a 5xx), {@code checkIns} (answered), their rate
 *     and latency (p50, p99, max); for {@code soak} also the soak time, the rollout's download limit, the most
 *     boards seen mid-update at once and the server process's resident memory (now and peak)
 */
public record Report(String scenario, int devices, long seed, double speed, boolean settled, int updated,
                     int rolledBack, int bricked, int unverifiedBoots, int corruptedInstalls, int quitBoards,
                     int lostReports, int offlineDevices, int offlineReturned, int offlineGotRelease,
                     Integer haltedAtStage, double blastRadiusPercent, Double timeToHaltSeconds, int falseHalts,
                     Map<String, Integer> versions, JsonNode faults, JsonNode stages, JsonNode load,
                     double wallSeconds) {

    static Report build(Simulation.Settings s, Fleet fleet, SignedTargets signed, AdminApi api, JsonNode rollout,
                        boolean settled, double wallSeconds, JsonNode faults, JsonNode load, Outage outage)
            throws IOException {
        int updated = 0;
        int rolledBack = 0;
        int bricked = 0;
        int unverified = 0;
        int corrupted = 0;
        int lost = 0;
        int tried = 0;
        Map<String, Integer> versions = new TreeMap<>();
        for (Fleet.Board b : fleet.boards()) {
            Inspection i = Inspection.of(b.dir(), signed);
            DeviceRecord r = b.record();
            versions.merge(i.version() == null ? "none" : i.version(), 1, Integer::sum);
            updated += Simulation.RELEASE.equals(i.version()) ? 1 : 0;
            rolledBack += r.tried(Simulation.RELEASE) && Simulation.BASELINE.equals(i.version()) ? 1 : 0;
            bricked += i.bootable() ? 0 : 1;
            corrupted += i.corrupted() ? 1 : 0;
            unverified += r.unverifiedBoots();
            tried += r.tried(Simulation.RELEASE) ? 1 : 0;
            lost += lostReports(b, api);
        }
        JsonNode halt = rollout == null ? null : rollout.get("halt");
        Integer haltedAt = halt == null ? null : halt.path("stage").asInt() + 1;
        Double toHalt = halt == null ? null : Duration.between(Instant.parse(rollout.path("createdAt").asText()),
                Instant.parse(halt.path("at").asText())).toMillis() / 1000.0 * s.speed();
        return new Report(s.scenario().id(), s.devices(), s.seed(), s.speed(), settled, updated, rolledBack, bricked,
                unverified, corrupted, fleet.quit(), lost, outage == null ? 0 : outage.boards().size(),
                outage == null ? 0 : outage.returned(), outage == null ? 0 : gotRelease(outage.boards()), haltedAt, round(100.0 * tried / s.devices()),
                toHalt == null ? null : round(toHalt), s.scenario().goodRelease() && halt != null ? 1 : 0, versions,
                faults, stages(rollout), load, round(wallSeconds));
    }

    /** Boards that tried to boot the release, or hold an image of it in a slot (downloaded, whole or not). */
    private static int gotRelease(List<Fleet.Board> boards) throws IOException {
        int n = 0;
        for (Fleet.Board b : boards) {
            boolean got = b.record().tried(Simulation.RELEASE);
            for (Path slot : SimulatedBoard.at(b.dir()).slots().values()) {
                got |= TestImage.read(slot).map(h -> h.version().equals(Simulation.RELEASE)).orElse(false);
            }
            n += got ? 1 : 0;
        }
        return n;
    }

    private static int lostReports(Fleet.Board b, AdminApi api) throws IOException {
        Set<String> local = b.storage().queuedEventIds();
        if (local.isEmpty()) {
            return 0;
        }
        Optional<String> id = b.deviceId();
        if (id.isEmpty()) {
            return local.size();
        }
        Set<String> server = new HashSet<>();
        api.events(id.get()).forEach(e -> server.add(e.path("eventId").asText()));
        return (int) local.stream().filter(e -> !server.contains(e)).count();
    }

    private static JsonNode stages(JsonNode rollout) {
        ArrayNode out = CanonicalJson.mapper().createArrayNode();
        if (rollout == null) {
            return out;
        }
        for (JsonNode st : rollout.path("stages")) {
            ObjectNode o = out.addObject().put("stage", st.path("index").asInt() + 1);
            for (String f : List.of("percent", "count")) {
                if (st.hasNonNull(f)) {
                    o.set(f, st.get(f));
                }
            }
            o.put("size", st.path("size").asInt()).put("status", st.path("status").asText());
            ObjectNode funnel = o.putObject("funnel");
            st.path("funnel").properties().forEach(e -> {
                if (e.getValue().asInt() != 0) {
                    funnel.set(e.getKey(), e.getValue());
                }
            });
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The report as JSON. */
    public byte[] json() {
        return CanonicalJson.pretty(CanonicalJson.mapper().valueToTree(this));
    }

    /** One line for the terminal. */
    public String summary() {
        return scenario + ": " + devices + " devices, " + updated + " updated, " + rolledBack + " rolled back, "
                + bricked + " bricked, " + (haltedAtStage == null ? "not halted" : "halted at stage " + haltedAtStage
                + " after " + timeToHaltSeconds + " s") + ", blast radius " + blastRadiusPercent + "%, "
                + unverifiedBoots + " unverified boots, " + corruptedInstalls + " corrupted installs, "
                + (quitBoards == 0 ? "" : quitBoards + " boards quit, ") + offlineSummary() + lostReports
                + " lost reports, " + falseHalts + " false halts" + soakSummary() + (settled ? "" : ", NOT SETTLED")
                + " (" + wallSeconds + " s)";
    }

    private String offlineSummary() {
        return offlineDevices == 0 ? "" : offlineDevices + " offline (" + offlineReturned + " back, "
                + offlineGotRelease + " got the release), ";
    }

    private String soakSummary() {
        if (load == null || !load.has("soakMinutes")) {
            return "";
        }
        return ", " + load.path("checkIns").asLong() + " check-ins (" + load.path("checkInsPerSecond").asDouble()
                + "/s, p99 " + load.path("checkInP99Millis").asDouble() + " ms), " + load.path("failedRequests").asLong()
                + " failed requests, server peak RSS " + load.path("serverPeakRssMiB").asLong() + " MiB";
    }
}
