package dev.flotilla.server.metrics;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standard metrics over real HTTP: a scrape of {@code /metrics} after some requests has the JVM, process,
 * connection pool and per-route HTTP metrics, labelled by route template; unknown paths share one label value.
 */
class ServerMetricsTest {
    private static final Pattern ROUTE = Pattern.compile("route=\"([^\"]*)\"");
    private static final String CHECKIN = "/api/v1/device/{deviceId}/checkin";
    @TempDir
    Path dir;

    @StoreTest
    void scrapeHasJvmPoolAndPerRouteHttpMetrics(TestDatabase db) {
        try (TestServer s = TestServer.start(db, dir, new MutableClock())) {
            TestDevice d = s.device(KeyType.ED25519, "hw-metrics");
            assertThat(d.checkIn(s.http, d.envelope(d.manifest(d.id(), "none")), null).status()).isEqualTo(200);
            assertThat(d.checkIn(s.http, d.envelope(d.manifest(d.id(), "none")), null).status()).isEqualTo(200);

            List<String> lines = scrape(s);

            assertThat(names(lines)).contains("jvm_memory_used_bytes", "jvm_memory_max_bytes",
                    "jvm_gc_memory_allocated_bytes_total", "jvm_gc_live_data_size_bytes",
                    "jvm_threads_live_threads", "jvm_threads_states_threads", "jvm_classes_loaded_classes",
                    "jvm_info", "process_cpu_usage", "system_cpus", "process_cpu_seconds_total", "process_uptime_seconds",
                    "process_start_time_seconds", "hikaricp_connections_active", "hikaricp_connections_max",
                    "hikaricp_connections_acquire_seconds_count", "http_server_requests_seconds_count",
                    "http_server_requests_seconds_sum", "http_server_requests_seconds_max",
                    "http_server_requests_seconds_bucket");
            assertThat(value(lines, "hikaricp_connections_max", "pool=\"flotilla\"")).isEqualTo(10);
            assertThat(value(lines, "http_server_requests_seconds_count",
                    "method=\"POST\"", "route=\"" + CHECKIN + "\"", "status=\"200\"", "outcome=\"SUCCESS\""))
                    .isEqualTo(2);
            assertThat(value(lines, "http_server_requests_seconds_count",
                    "method=\"POST\"", "route=\"/api/v1/device/enroll\"", "status=\"201\"")).isEqualTo(1);
            assertThat(String.join("\n", lines)).doesNotContain(d.id());
        }
    }

    @StoreTest
    void unknownPathsAndMethodsAddNoLabelValues(TestDatabase db) {
        try (TestServer s = TestServer.start(db, dir, new MutableClock())) {
            for (int i = 0; i < 5; i++) {
                assertThat(s.http.get("/no/such/path-" + i, null).status()).isEqualTo(404);
                s.http.send("BREW" + i, "/livez", null, null, Map.of());
            }
            assertThat(s.http.get("/livez", null).status()).isEqualTo(200);
            assertThat(s.http.get("/api/v1/devices/unknown-device-id", s.adminToken).status()).isEqualTo(404);

            List<String> lines = scrape(s);

            String all = String.join("\n", lines);
            assertThat(all).doesNotContain("path-").doesNotContain("BREW").doesNotContain("unknown-device-id");
            Set<String> routes = lines.stream().filter(l -> l.startsWith("http_server_requests_seconds_count{"))
                    .map(ROUTE::matcher).filter(Matcher::find).map(m -> m.group(1)).collect(Collectors.toSet());
            Set<String> templates = s.server.routes().stream().map(r -> r.substring(r.indexOf(' ') + 1))
                    .collect(Collectors.toSet());
            assertThat(routes).contains(HttpMetrics.UNMATCHED, "/api/v1/devices/{deviceId}", "/livez");
            assertThat(routes).allMatch(r -> r.equals(HttpMetrics.UNMATCHED) || templates.contains(r), "a route template");
            assertThat(value(lines, "http_server_requests_seconds_count", "method=\"GET\"",
                    "route=\"unmatched\"", "status=\"404\"")).isEqualTo(5);
            assertThat(lines.stream().filter(l -> l.startsWith("http_server_requests_seconds_count{")
                    && l.contains("method=\"other\""))).isNotEmpty();
        }
    }

    private static List<String> scrape(TestServer s) {
        var r = s.http.get("/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        return Arrays.stream(r.text().split("\n")).filter(l -> !l.startsWith("#")).toList();
    }

    private static Set<String> names(List<String> lines) {
        return lines.stream().map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toSet());
    }

    /** The value of the one sample of {@code name} whose labels include all of {@code labels}. */
    private static double value(List<String> lines, String name, String... labels) {
        List<String> found = lines.stream().filter(l -> l.startsWith(name + "{"))
                .filter(l -> Arrays.stream(labels).allMatch(l::contains)).toList();
        assertThat(found).as(name + " " + Arrays.toString(labels)).hasSize(1);
        String line = found.get(0);
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
