package dev.flotilla.server.http;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every listing refuses a query parameter or filter value it does not know, instead of ignoring it. */
class ListingParametersTest {
    @TempDir
    Path dir;
    TestServer srv;
    TestDevice device;

    @BeforeEach
    void start() {
        srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
        device = srv.device(KeyType.ED25519, "board-a");
    }

    @AfterEach
    void stop() {
        srv.close();
    }

    @Test
    void unknownDeviceFilterIsRefusedWithTheAllowedOnes() {
        Http.Response r = srv.http.get("/api/v1/devices?firmware=1.0.0", srv.adminToken);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("unknown_parameter");
        assertThat(r.json().path("message").asText()).contains("firmware")
                .contains("hardwareId, tag, group, status, installedVersion, health, attribute, q, connectivity,"
                        + " rollout, rolloutState, securityVersion, trustedRoot, offset, limit");
    }

    @Test
    void unknownDeviceStatusIsRefusedWithTheAllowedValues() {
        Http.Response r = srv.http.get("/api/v1/devices?status=broken", srv.adminToken);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_request");
        assertThat(r.json().path("message").asText()).contains("status").contains("active, decommissioned")
                .contains("broken");
    }

    @Test
    void knownFiltersStillFilter() {
        assertThat(srv.http.get("/api/v1/devices?status=active&hardwareId=board-a&limit=10", srv.adminToken)
                .json().path("items")).hasSize(1);
        assertThat(srv.http.get("/api/v1/devices?status=decommissioned", srv.adminToken).json().path("items"))
                .isEmpty();
        assertThat(srv.http.get("/api/v1/devices?hardwareId=board-b", srv.adminToken).json().path("items")).isEmpty();
    }

    @Test
    void everyListingRefusesAnUnknownParameter() {
        for (String path : List.of("/api/v1/devices", "/api/v1/devices/" + device.id() + "/events",
                "/api/v1/deployments", "/api/v1/audit", "/api/v1/releases", "/api/v1/tokens",
                "/api/v1/enrollment-tokens", "/api/v1/rollouts")) {
            Http.Response r = srv.http.get(path + "?limit=5&sort=newest", srv.adminToken);
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.code()).as(path).isEqualTo("unknown_parameter");
            assertThat(r.json().path("message").asText()).as(path).contains("sort").contains("offset, limit");
            assertThat(srv.http.get(path + "?limit=5", srv.adminToken).status()).as(path).isEqualTo(200);
        }
    }

    @Test
    void aRolloutsDevicesRefuseAnUnknownParameterBeforeLookingTheRolloutUp() {
        Http.Response r = srv.http.get("/api/v1/rollouts/rol_nope/devices?limit=5&stage=0", srv.adminToken);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("unknown_parameter");
        assertThat(r.json().path("message").asText()).contains("stage").contains("state, after, limit");
        assertThat(srv.http.get("/api/v1/rollouts/rol_nope/devices?limit=5", srv.adminToken).status()).isEqualTo(404);
    }
}
