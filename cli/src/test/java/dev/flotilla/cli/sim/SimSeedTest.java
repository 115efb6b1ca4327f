package dev.flotilla.cli.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flotilla sim --seed}: the same scenario ({@code power-cuts}, a few boards, speed 60) run twice with one
 * seed makes the same choices, and once with the next seed makes others. What the seed decides is each board's
 * start delay and before which of its storage operations (counted from the plan) its power cut comes; the fleet
 * writes both into the board's {@code agent.log} as {@code seed: } lines, compared here board by board. (With the
 * network faults of {@code --faults} the seed also decides the faulty proxy's draws, in the order responses pass:
 * {@code FaultyProxyTest} checks those.)
 *
 * <p>The report is not compared, as none of its figures is a choice of the seed: the safety figures follow from
 * the goals; {@code faults.powerCuts}, {@code load} and {@code wallSeconds} depend on thread timing (a planned cut
 * comes only if the board does that many storage operations after the plan, and which operation it hits depends
 * on the order the board's threads, its report queue among them, reach the storage). Neither are the device ids
 * (the server draws them) nor, in the offline scenarios, the boards taken offline (the rollout's order, a hash of
 * the server's random rollout id and the device ids). Only the report's echo of the seed is checked.
 */
class SimSeedTest {
    private static final int BOARDS = 4;

    @TempDir
    Path dir;

    @Test
    void oneSeedMakesTheSameChoicesTwiceAndAnotherSeedMakesOthers() throws Exception {
        Map<String, List<String>> first = choices("first", 7);
        Map<String, List<String>> again = choices("again", 7);
        // the next seed: java.util.Random's first draws for nearby seeds nearly agree (the first board would start
        // at the same time)
        Map<String, List<String>> other = choices("other", 8);

        assertThat(first).hasSize(BOARDS).allSatisfy((board, lines) -> assertThat(lines).as(board)
                .hasSize(2).anyMatch(l -> l.matches("seed: switched on after \\d+ ms"))
                .anyMatch(l -> l.matches("seed: power cut planned before storage operation \\d+ from now")));
        assertThat(again).isEqualTo(first);
        assertThat(other.keySet()).isEqualTo(first.keySet());
        Map<String, List<String>> started = kind(first, "seed: switched on");
        kind(other, "seed: switched on").forEach((board, line) -> assertThat(line)
                .as("another seed, another start delay for %s", board).isNotEqualTo(started.get(board)));
        assertThat(kind(other, "seed: power cut")).as("another seed, other power cuts")
                .isNotEqualTo(kind(first, "seed: power cut"));
    }

    /** Runs the scenario with {@code seed} in its own work folder; returns each board's {@code seed: } log lines. */
    private Map<String, List<String>> choices(String name, long seed) throws IOException {
        Path report = dir.resolve(name + ".json");
        CliRun run = CliRun.of("sim", "--scenario", "power-cuts", "--devices", BOARDS, "--seed", seed, "--speed", 60,
                "--report", report, "--work-dir", dir.resolve(name), "--timeout-minutes", 4);
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode r = CanonicalJson.mapper().readTree(Files.readAllBytes(report));
        assertThat(r.path("seed").asLong()).isEqualTo(seed);
        assertThat(r.path("updated").asInt()).as("the report: %s", r).isEqualTo(BOARDS);
        Map<String, List<String>> out = new TreeMap<>();
        try (Stream<Path> boards = Files.list(dir.resolve(name).resolve("boards"))) {
            for (Path b : boards.toList()) {
                // each line is "<instant> <text>"
                out.put(b.getFileName().toString(), Files.readAllLines(b.resolve("agent.log")).stream()
                        .map(l -> l.substring(l.indexOf(' ') + 1)).filter(l -> l.startsWith("seed: ")).toList());
            }
        }
        return out;
    }

    /** Per board, its lines starting with {@code prefix}. */
    private static Map<String, List<String>> kind(Map<String, List<String>> choices, String prefix) {
        Map<String, List<String>> out = new TreeMap<>();
        choices.forEach((board, lines) -> out.put(board, lines.stream().filter(l -> l.startsWith(prefix)).toList()));
        return out;
    }
}
