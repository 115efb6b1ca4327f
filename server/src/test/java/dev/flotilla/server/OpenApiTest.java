package dev.flotilla.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import dev.flotilla.server.http.Limits;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
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

    /** The device listing's query parameters are its filters ({@code DeviceFilter.NAMES}) and paging, no more. */
    @Test
    void documentListsEveryDeviceFilter() throws Exception {
        JsonNode doc;
        try (var in = OpenApiTest.class.getResourceAsStream("/dev/flotilla/server/openapi.json")) {
            doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        List<String> documented = new ArrayList<>();
        doc.at("/paths/~1api~1v1~1devices/get/parameters").forEach(p -> documented.add(p.path("name").asText()));
        List<String> expected = new ArrayList<>(List.of(dev.flotilla.server.devices.DeviceFilter.NAMES));
        expected.addAll(List.of("offset", "limit"));
        assertThat(documented).containsExactlyInAnyOrderElementsOf(expected);
    }

    /** Each limit the document lists is the one the server enforces ({@link Limits}, one place). */
    @Test
    void documentListsTheLimitsTheServerEnforces() throws Exception {
        JsonNode doc;
        try (var in = OpenApiTest.class.getResourceAsStream("/dev/flotilla/server/openapi.json")) {
            doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        String json = "/requestBody/content/application~1json/schema/properties/";
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("/paths/~1api~1v1~1enrollment-tokens/post" + json + "description/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1enrollment-tokens/post" + json + "validForSeconds/maximum",
                Limits.VALID_FOR_SECONDS);
        expected.put("/paths/~1api~1v1~1enrollment-tokens/post" + json + "maxUses/maximum", Limits.MAX_USES);
        expected.put("/paths/~1api~1v1~1tokens/post" + json + "name/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1devices/post" + json + "hardwareId/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1devices/post" + json + "group/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1devices/post" + json + "tags/items/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1devices~1{deviceId}~1tags/put" + json + "tags/items/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1devices~1{deviceId}~1group/put" + json + "group/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1device~1enroll/post" + json + "hardwareId/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1device~1enroll/post" + json + "attributes/x-max-json-length",
                (long) Limits.JSON_TEXT);
        String event = "/paths/~1api~1v1~1device~1{deviceId}~1events/post" + json + "events/items/properties/";
        expected.put(event + "eventId/maxLength", (long) Limits.EVENT_ID);
        expected.put(event + "occurredAt/maxLength", (long) Limits.TIME);
        expected.put(event + "details/x-max-json-length", (long) Limits.JSON_TEXT);
        expected.put("/components/schemas/Manifest/x-max-json-length", (long) Limits.JSON_TEXT);
        expected.put("/paths/~1api~1v1~1deployments/post" + json + "group/maxLength", (long) Limits.NAME);
        expected.put("/paths/~1api~1v1~1deployments/post" + json + "tag/maxLength", (long) Limits.NAME);
        expected.forEach((pointer, value) -> assertThat(doc.at(pointer).isIntegralNumber()).as(pointer).isTrue());
        expected.forEach((pointer, value) -> assertThat(doc.at(pointer).asLong()).as(pointer).isEqualTo(value));
    }
}
