package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.auth.Secrets;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Registers many devices at once, already logged in and with a stored manifest, in batched inserts. For
 * in-process tools only (the check-in benchmark): it trusts its caller, verifies no signature and writes
 * no audit entries. Nothing on the HTTP API reaches it.
 */
public final class BulkRegistration {
    /**
     * One device.
     *
     * @param sessionToken a device token ({@code fld_...}) the caller made; stored hashed
     * @param envelope     the manifest envelope the device will send (stored as if verified)
     */
    public record Entry(String id, Key publicKey, String hardwareId, String sessionToken, byte[] envelope) {
    }

    private BulkRegistration() {
    }

    public static void register(Jdbi jdbi, List<Entry> entries, Clock clock, Duration sessionTtl) {
        long now = clock.millis();
        long expires = now + sessionTtl.toMillis();
        int chunk = 1000;
        for (int from = 0; from < entries.size(); from += chunk) {
            List<Entry> part = entries.subList(from, Math.min(entries.size(), from + chunk));
            jdbi.useTransaction(h -> {
                PreparedBatch devices = h.prepareBatch("""
                        INSERT INTO devices (id, key_id, public_key, hardware_id, device_group, attributes, status, created_at)
                        VALUES (:id, :kid, :pk, :hw, NULL, '{}', 'active', :now)""");
                PreparedBatch sessions = h.prepareBatch(
                        "INSERT INTO device_sessions (secret_hash, device_id, expires_at) VALUES (:h, :d, :e)");
                PreparedBatch manifests = h.prepareBatch("""
                        INSERT INTO device_manifests (device_id, envelope_hash, manifest_json, received_at,
                                                      installed_target, health_state, security_version,
                                                      trusted_root_version)
                        VALUES (:d, :h, :m, :now, :it, :hs, :sv, :rv)""");
                for (Entry e : part) {
                    devices.bind("id", e.id()).bind("kid", e.publicKey().keyId())
                            .bind("pk", DeviceStore.json(e.publicKey().toJson())).bind("hw", e.hardwareId())
                            .bind("now", now).add();
                    sessions.bind("h", Secrets.hash(e.sessionToken())).bind("d", e.id()).bind("e", expires).add();
                    ObjectNode signed = (ObjectNode) CanonicalJson.parseObject(e.envelope()).get("signed");
                    ManifestFacts f = ManifestFacts.of(signed);
                    manifests.bind("d", e.id()).bind("h", Digests.sha256Hex(e.envelope()))
                            .bind("m", DeviceStore.json(signed)).bind("now", now).bind("it", f.installedTarget())
                            .bind("hs", f.healthState()).bind("sv", f.securityVersion())
                            .bind("rv", f.trustedRootVersion()).add();
                }
                devices.execute();
                sessions.execute();
                manifests.execute();
            });
        }
    }
}
