package dev.flotilla.cli.e2e;

import dev.flotilla.cli.Await;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.cli.bench.BenchFleet;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.server.rollouts.Cohorts;
import dev.flotilla.server.rollouts.Plan;
import dev.flotilla.server.testing.S3ProxyServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A zero-downtime upgrade as docs/deployment.md ("Upgrades") describes it, with real parts: two {@code flotilla
 * server} processes on one PostgreSQL database and one object store (s3proxy), behind Debian's HAProxy running
 * docs/haproxy.cfg. Devices check in and report events through HAProxy all along ({@link DeviceTraffic}), and a
 * two-stage rollout is started. Then each node in turn is drained (disabled on HAProxy's admin socket until it has
 * no sessions), stopped with SIGTERM, started again as the "new version" (the same build with a backward-compatible
 * migration that only the new version has: a new table and a new column of {@code devices}) and enabled again.
 * The first new node migrates the schema while the old one keeps serving on it; the old one is also restarted
 * once on the migrated schema before its own upgrade (what a crash mid-upgrade does). No check-in and no event report
 * fails, every acknowledged event is stored, both new nodes serve, and the rollout completes after the upgrade.
 * Skipped when haproxy is not installed.
 */
class RollingUpgradeTest {
    private static final Path ROOT = Path.of(System.getProperty("flotilla.root", ".."));
    private static final int DEVICES = 20;
    private static final String HARDWARE = "board-n";
    private static final String PLAN = "{\"stages\": [{\"percent\": 50}, {\"percent\": 100}], \"soakSeconds\": 0,"
            + " \"timeoutSeconds\": 3600, \"gates\": {\"failureRate\": {\"max\": 0, \"minDevices\": 1}}}";
    /** The new version's migration: expand only, so that the old version keeps working on the schema. */
    private static final String MIGRATION = """
            CREATE TABLE upgrade_probe (node VARCHAR(64) PRIMARY KEY, upgraded_at BIGINT NOT NULL);
            ALTER TABLE devices ADD COLUMN upgrade_note VARCHAR(200);
            """;

    @TempDir
    Path tmp;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final Nodes nodes = new Nodes();
    private Haproxy haproxy;
    private HttpClient http;
    private String admin;
    private Jdbi jdbi;

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    @Test
    void devicesAreServedWhileEachNodeInTurnIsUpgraded() throws Exception {
        Haproxy.assumeInstalled();
        String databaseUrl = startDatabase();
        S3ProxyServer s3 = S3ProxyServer.start(tmp.resolve("object-store"));
        cleanup.add(s3);
        cleanup.add(nodes);
        NodeSetup keys = NodeSetup.onlineKeys(tmp.resolve("secret-store"));
        for (int n = 1; n <= 2; n++) {
            List<String> args = new ArrayList<>(List.of("--data", tmp.resolve("node" + n + "-data").toString(),
                    "--online-keys", keys.copyFor(tmp.resolve("node" + n + "-keys")).toString(),
                    "--database", databaseUrl, "--poll-interval", "2"));
            args.addAll(NodeSetup.objectStore(s3, tmp.resolve("node" + n + "-s3-credentials")));
            nodes.define(n, args);
        }
        admin = nodes.start(1).adminToken();
        nodes.start(2);
        nodes.awaitListening(2);
        TestCa ca = TestCa.create(tmp.resolve("lb-ca"));
        http = HttpClient.newBuilder().sslContext(CaBundle.sslContext(ca.caPem())).build();
        haproxy = Haproxy.start(ROOT.resolve("docs/haproxy.cfg"), tmp, ca, List.of(nodes.port(1), nodes.port(2)));
        cleanup.add(haproxy);
        waitFor(() -> List.of(haproxy.state("node1").status(), haproxy.state("node2").status()),
                s -> s.equals(List.of("UP", "UP")));
        publish(ca.caPem());

        jdbi = Jdbi.create(databaseUrl);
        BenchFleet fleet = BenchFleet.register(jdbi, haproxy.url(), http, DEVICES, HARDWARE, done -> { });
        JsonNode rollout = json("POST", "/api/v1/rollouts", "{\"target\": \"fw-1.1.0.img\", \"selection\": {},"
                + " \"plan\": " + PLAN + ", \"start\": true}");
        String id = rollout.path("id").asText();
        List<String> ranked = Cohorts.ranked(id, fleet.ids());
        int firstStage = Cohorts.sizes(Plan.parse(CanonicalJson.mapper().readTree(PLAN)), DEVICES)[0];
        List<Integer> first = fleet.indexes(ranked.subList(0, firstStage));
        DeviceTraffic traffic = new DeviceTraffic(fleet, id, first);
        cleanup.add(traffic);
        waitFor(traffic::servedBy, by -> by.keySet().containsAll(Set.of("node1", "node2")));

        Path newVersion = Files.createDirectories(tmp.resolve("new-version/db/migration"));
        Files.writeString(newVersion.resolve("V1000__upgrade_probe.sql"), MIGRATION);
        upgrade(1, 2, newVersion.getParent().getParent());
        assertThat(migrated()).as("node1, the new version, migrated the schema on start").isTrue();
        // the old version serves on the expanded schema, and starts on it (Flyway ignores the unknown migration)
        long byOld = traffic.servedBy().getOrDefault("node2", 0L);
        waitFor(() -> traffic.servedBy().getOrDefault("node2", 0L), n -> n > byOld + 20);
        upgrade(2, 1, null);
        long byRestarted = traffic.servedBy().getOrDefault("node2", 0L);
        waitFor(() -> traffic.servedBy().getOrDefault("node2", 0L), n -> n > byRestarted + 20);
        upgrade(2, 1, newVersion.getParent().getParent());
        assertThat(migrated()).as("node2, the new version too, found the migration applied").isTrue();
        long byNew1 = traffic.servedBy().getOrDefault("node1", 0L);
        long byNew2 = traffic.servedBy().getOrDefault("node2", 0L);
        waitFor(traffic::servedBy, by -> by.get("node1") > byNew1 + 20 && by.get("node2") > byNew2 + 20);
        traffic.close();

        assertThat(traffic.failures()).as("check-ins and reports that failed during the upgrade").isEmpty();
        assertThat(traffic.checkIns()).isPositive();
        for (var acked : traffic.acknowledged().entrySet()) {
            List<String> stored = jdbi.withHandle(h -> h.createQuery("SELECT event_id FROM device_events"
                    + " WHERE device_id = :d").bind("d", acked.getKey()).mapTo(String.class).list());
            assertThat(stored).as(acked.getKey() + ": every acknowledged event is stored").containsAll(acked.getValue());
        }
        assertThat(json("GET", "/api/v1/rollouts/" + id, null).path("stage").asInt())
                .as("the rollout waits for its first stage's devices").isZero();
        completeRollout(fleet, id, ranked, first);
        System.out.printf("rolling upgrade: %d check-ins and %d event reports during it, none failed; served by %s%n",
                traffic.checkIns(), traffic.reports(), traffic.servedBy());
    }

    /**
     * Drains node {@code n} on HAProxy, stops it (SIGTERM) while node {@code other} serves, starts it again as the
     * new version (with {@code newVersion} first on its class path; null: the version it ran) and puts it back in
     * service.
     */
    private void upgrade(int n, int other, Path newVersion) throws Exception {
        String server = "node" + n;
        waitFor(() -> haproxy.state("node" + other).status(), "UP"::equals);
        haproxy.admin("disable server flotilla_nodes/" + server);
        waitFor(() -> haproxy.state(server), s -> s.status().startsWith("MAINT") && s.sessions() == 0);
        nodes.stop(n);
        if (newVersion != null) {
            nodes.upgrade(n, newVersion);
        }
        nodes.start(n);
        nodes.awaitListening(n);
        haproxy.admin("enable server flotilla_nodes/" + server);
        waitFor(() -> haproxy.state(server).status(), "UP"::equals);
    }

    private boolean migrated() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM flyway_schema_history WHERE version = '1000'"
                + " AND success").mapTo(Integer.class).one()) == 1;
    }

    /** The first stage's devices commit; the rollout admits the second stage, whose devices commit too. */
    private void completeRollout(BenchFleet fleet, String id, List<String> ranked, List<Integer> first)
            throws Exception {
        for (int i : first) {
            fleet.report(i, id, null, "installed", "committed");
        }
        waitFor(() -> json("GET", "/api/v1/rollouts/" + id, null), r -> r.path("stage").asInt() == 1);
        for (int i : fleet.indexes(ranked.subList(first.size(), ranked.size()))) {
            fleet.report(i, id, null, "installed", "committed");
        }
        JsonNode done = waitFor(() -> json("GET", "/api/v1/rollouts/" + id, null), r -> committed(r) == DEVICES);
        assertThat(done.path("stage").asInt()).isEqualTo(1);
        assertThat(done.path("state").asText()).isEqualTo("active");
    }

    private static int committed(JsonNode rollout) {
        int sum = 0;
        for (JsonNode stage : rollout.path("stages")) {
            sum += stage.path("funnel").path("committed").asInt();
        }
        return sum;
    }

    private String startDatabase() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        cleanup.add(pg);
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE flotilla");
        }
        return pg.getJdbcUrl("postgres", "flotilla");
    }

    /** The root of trust and release fw-1.1.0.img for {@link #HARDWARE}, through HAProxy. */
    private void publish(Path caBundle) throws Exception {
        URI lb = haproxy.url();
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", lb, "--token", admin, "--ca-bundle", caBundle,
                "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"),
                "--sign-with", fx.key("root1")));
        Path image = tmp.resolve("fw-1.1.0.img");
        TestImage.write(image, TestImage.Behaviour.BOOT_OK, "1.1.0", 20_000);
        ok(CliRun.of("release", "publish", "--server", lb, "--token", admin, "--ca-bundle", caBundle, "--image", image,
                "--version", "1.1.0", "--hardware", HARDWARE, "--targets-key", fx.key("targets"), "--no-progress"));
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }


    private <T> T waitFor(Await.Probe<T> probe, Predicate<T> done) throws Exception {
        return Await.until(probe, done, () -> "nodes: " + nodes.output() + "; haproxy: " + haproxy.log());
    }

    private JsonNode json(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(haproxy.url().resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body())).isBetween(200, 299);
        return CanonicalJson.parse(r.body());
    }
}
