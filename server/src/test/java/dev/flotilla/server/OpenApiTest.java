package dev.flotilla.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

class OpenApiTest {
    @TempDir
    Path dir;

    @Test
    void documentListsExactlyTheRegisteredRoutes() {
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock())) {
            var r = srv.http.get("/api/openapi.json", null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Type").orElseThrow()).startsWith("application/json");
            JsonNode doc = r.json();
            assertThat(doc.path("openapi").asText()).startsWith("3.");

            List<String> documented = new ArrayList<>();
            doc.path("paths").properties().forEach(p -> p.getValue().fieldNames()
                    .forEachRemaining(m -> documented.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey())));
            // The dashboard's pages under /ui are HTML for browsers, not part of the API the document describes.
            List<String> api = srv.server.routes().stream().filter(route -> !route.contains(" /ui")).toList();
            assertThat(api).isNotEmpty().hasSizeLessThan(srv.server.routes().size());
            assertThat(documented).containsExactlyInAnyOrderElementsOf(api);
        }
    }
}
