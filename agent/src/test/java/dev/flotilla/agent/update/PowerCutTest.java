package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.testimage.TestImage.Behaviour;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exhaustive power-cut test: one full update (download, verify, arm, reboot, health check, commit)
 * on the simulated backend with file slots, cut just before each of its K durable operations in turn.
 */
class PowerCutTest {
    static final byte[] V1 = TestImage.create(Behaviour.BOOT_OK, "1.0.0", 40 * 1024 + 7);
    static final byte[] V2 = TestImage.create(Behaviour.BOOT_OK, "2.0.0", 56 * 1024 + 13);

    @TempDir
    Path root;

    private SimDevice device(String name) throws Exception {
        return device(name, 3);
    }

    private SimDevice device(String name, int tries) throws Exception {
        SimDevice d = new SimDevice(root.resolve(name), V1, new FakeSource(V2, "2.0.0", 2, 3));
        d.settings = new UpdateMachine.Settings(tries, 5, 16 * 1024, 100);
        return d;
    }

    /**
     * With 3 tries a single cut never exhausts the boot counter; with 1 try a cut after the trial boot makes
     * the next boot fall back to the old slot, so the device ends on the old version and retries.
     */
    @ParameterizedTest(name = "trial tries {0}")
    @ValueSource(ints = {3, 1})
    void everyCutPointOfAFullUpdateEndsOnAVerifiedImageAndSucceeds(int tries) throws Exception {
        SimDevice reference = device("reference", tries);
        CrashableDurable counting = new CrashableDurable();
        reference.live(counting, 10, 20);
        assertThat(reference.problems).isEmpty();
        assertThat(reference.runningVersion()).isEqualTo("2.0.0");
        long k = counting.operations();

        List<String> failures = new ArrayList<>();
        int direct = 0;
        int retried = 0;
        for (long cut = 1; cut <= k; cut++) {
            SimDevice d = device("cut-" + cut, tries);
            CrashableDurable durable = new CrashableDurable(cut);
            d.live(durable, 12, 30);
            String failure = check(d, durable, 1);
            if (failure != null) {
                failures.add("cut before op " + cut + " (" + counting.log().get((int) cut - 1) + "): " + failure);
            } else if (d.reporter.received.stream().noneMatch(e -> e.state().equals("ROLLED_BACK")
                    || e.state().equals("FAILED"))) {
                direct++;
            } else {
                retried++;
            }
        }
        System.out.println("trial tries " + tries + ":");
        System.out.println("power-cut: " + k + " cut points, " + failures.size() + " failures"
                + " (" + direct + " ended on the new version directly, " + retried + " on the old one first, then retried)");
        failures.stream().limit(20).forEach(System.out::println);
        assertThat(k).isGreaterThan(30);
        assertThat(failures).isEmpty();
    }

    /** 1,000 random updates (about a minute here); {@code -Dflotilla.powercut.updates=N} to change. */
    @Test
    void randomCutsAcrossManyUpdatesWithFlakyDownloads() throws Exception {
        Random random = new Random(20261124);
        List<String> failures = new ArrayList<>();
        int updates = Integer.getInteger("flotilla.powercut.updates", 1000);
        long cuts = 0;
        for (int i = 0; i < updates; i++) {
            SimDevice d = device("random-" + i);
            d.source.flaky = new Random(random.nextLong());
            d.source.failureRate = 0.05;
            CrashableDurable durable = new CrashableDurable(1 + random.nextInt(140));
            d.live(durable, 12, 60);
            cuts += durable.cuts();
            String failure = check(d, durable, 0);
            if (failure != null) {
                failures.add("update " + i + ": " + failure);
            }
            deleteTree(root.resolve("random-" + i));
        }
        System.out.println("power-cut random: " + updates + " updates, " + cuts + " cuts, " + failures.size()
                + " failures");
        failures.stream().limit(20).forEach(System.out::println);
        assertThat(cuts).isGreaterThan(updates / 2);
        assertThat(failures).isEmpty();
    }

    /** Null when the device ended well: verified boots, on 2.0.0, committed, reported, no loop. */
    private static String check(SimDevice d, CrashableDurable durable, int expectedCuts) throws Exception {
        if (!d.problems.isEmpty()) {
            return String.join("; ", d.problems);
        }
        if (expectedCuts > 0 && durable.cuts() != expectedCuts) {
            return "expected " + expectedCuts + " cut, saw " + durable.cuts();
        }
        if (!d.runningVersion().equals("2.0.0")) {
            return "ended on " + d.runningVersion() + " after " + d.source.offers + " offers; events "
                    + d.reporter.states();
        }
        CrashableDurable fresh = new CrashableDurable();
        UpdateMachine m = d.machine(fresh);
        if (!(new StateStore(d.dir.resolve("state/state.json"), fresh).load().state() instanceof UpdateState.Idle)) {
            return "not idle at the end";
        }
        if (d.boot(fresh).trialState().upgradeAvailable()) {
            return "trial still pending at the end";
        }
        if (d.counter(fresh).current() != 2) {
            return "anti-rollback counter is " + d.counter(fresh).current();
        }
        if (!new ReportQueue(d.dir.resolve("state/events"), fresh).pending().isEmpty()) {
            return "unacknowledged reports left";
        }
        boolean succeeded = d.reporter.received.stream()
                .anyMatch(e -> e.reason() == ReasonCode.UPDATE_SUCCEEDED && "2.0.0".equals(e.version()));
        return succeeded && m != null ? null : "no UPDATE_SUCCEEDED report; events " + d.reporter.states();
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(f);
            }
        }
    }
}
