package dev.flotilla.server.ui;

import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestServer;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollout pages with a rollout of 100,000 devices in a fleet of 100,000 (its funnel, gates, failures and
 * 1,000 chart samples): the list, the rollout page (what each tick of its live stream renders too) and the
 * releases page answer, on both databases, and the rollout page shows the funnel and failures of those rows.
 * They read the rollout's own rows, never the fleet's devices (the selection is counted at most once a
 * minute). How fast is measured by {@code flotilla bench dashboard} (docs/benchmarks.md), not here.
 */
class RolloutPageScaleTest {
    private static final int DEVICES = 100_000;
    @TempDir
    Path dir;

    @StoreTest
    void theRolloutPagesStayFastWithARolloutOfOneHundredThousandDevices(TestDatabase db) {
        MutableClock clock = new MutableClock();
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            DashboardScaleTest.fill(srv, clock.millis());
            fillRollout(srv, clock.millis());
            b.signIn(srv.adminToken);
            for (String page : List.of("/ui/rollouts", "/ui/rollouts/rol_big", "/ui/releases")) {
                HttpResponse<String> answer = b.get(page);
                assertThat(answer.statusCode()).as(page).isEqualTo(200);
                assertThat(answer.body()).as(page).doesNotContain("id=\"signin-title\"");
            }
            String page = b.get("/ui/rollouts/rol_big").body();
            assertThat(page).contains("id=\"rollout-state\">active<")
                    .contains("data-state=\"committed\">10000<").contains("data-state=\"committed\">50000<")
                    .contains("data-state=\"failed\">10000<")
                    .contains("<td>E_0</td>");
        }
    }

    /**
     * Rollout rol_big of fw-2.0.bin in stage 2 of 2: every device admitted (stage 1: every tenth, committed),
     * 60% committed, 10% failed.
     */
    private static void fillRollout(TestServer srv, long now) {
        srv.server.jdbi().useTransaction(h -> {
            h.createUpdate("""
                            INSERT INTO deployments (id, target_path, forced, state, kind, selection_json, plan_json,
                                stage, stage_started_at, created_at, created_by)
                            VALUES ('rol_big', 'fw-2.0.bin', FALSE, 'active', 'rollout', '{}', :plan, 1, :now, :now, 'tok')""")
                    .bind("plan", "{\"stages\": [{\"percent\": 10}, {\"percent\": 100}], \"soakSeconds\": 3600,"
                            + " \"gates\": {\"failureRate\": {\"max\": 0.5, \"minDevices\": 5}}}")
                    .bind("now", now).execute();
            PreparedBatch samples = h.prepareBatch("INSERT INTO rollout_samples (rollout_id, at, pending,"
                    + " in_progress, committed, failed, stopped) VALUES ('rol_big', :at, :i, :i, :i, :i, 0)");
            for (int i = 0; i < 1_000; i++) {
                samples.bind("at", now - 1_000_000L + i * 1_000L).bind("i", i * 100).add();
            }
            samples.execute();
        });
        String[] states = {"committed", "committed", "committed", "committed", "committed", "committed", "failed",
                "downloading", "assigned", "trial"};
        for (int from = 0; from < DEVICES; from += 5_000) {
            int start = from;
            srv.server.jdbi().useTransaction(h -> {
                PreparedBatch rows = h.prepareBatch("""
                        INSERT INTO rollout_devices (rollout_id, device_id, stage, state, reason, hardware_id,
                            previous_version, admitted_at, updated_at)
                        VALUES ('rol_big', :d, :s, :state, :reason, :hw, '1.0', :now, :now)""");
                for (int i = start; i < start + 5_000; i++) {
                    String state = states[i % 10];
                    rows.bind("d", String.format("dev_%06d", i)).bind("s", i % 10 == 0 ? 0 : 1).bind("state", state)
                            .bind("reason", state.equals("failed") ? "E_" + (i % 3) : null)
                            .bind("hw", "board-" + (i % 7)).bind("now", now).add();
                }
                rows.execute();
            });
        }
    }
}
