package dev.flotilla.server.devices;

import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Device authentication by challenge and response. The device asks for a nonce, signs
 * {@code "flotilla-device-auth:" + deviceId + ":" + nonce} with its key and exchanges the signature for a
 * short-lived bearer token. Nonces are single-use; tokens are stored as SHA-256 and die with the device's
 * decommissioning. All state is in the database, so any server instance can answer any step.
 *
 * <p>A device that lost the answer to its enrollment learns its id the same way: it asks for a nonce by its
 * public key ({@link #enrollmentChallenge}) and signs {@code "flotilla-device-enroll:" + keyId + ":" + nonce}
 * ({@link #enrolled}); knowing the public key alone gets nothing.
 */
public final class DeviceAuth {
    /** A nonce to sign. */
    public record Challenge(String nonce, String expiresAt) {
    }

    /** A device bearer token and when it stops working. */
    public record Session(String token, String expiresAt) {
    }

    /**
     * Open challenges kept per device; bounds what anyone who knows a device id can make the server store. A
     * new challenge beyond it evicts the oldest, so a flood of challenges by others cannot lock the device
     * out: its own newest challenge is always usable (until eight newer ones follow it).
     */
    static final int MAX_OPEN_CHALLENGES = 8;

    /**
     * What makes a device token valid, shared by every lookup by token ({@link #authenticate},
     * {@link CheckIns#authenticate}): the session row {@code s} by the token's hash, unexpired, of an active
     * device {@code d}. {@code SELECT ... FROM} {@link #SESSIONS} {@code [joins] WHERE} {@link #VALID_TOKEN},
     * positional parameters: the token's hash, then now (epoch ms).
     */
    static final String SESSIONS = "device_sessions s JOIN devices d ON d.id = s.device_id";
    static final String VALID_TOKEN = "s.secret_hash = ? AND s.expires_at > ? AND d.status = 'active'";

    /** The prefix of every device token; anything else is refused without a query. */
    static final String TOKEN_PREFIX = "fld_";

    private final Jdbi jdbi;
    private final Clock clock;
    private final Duration challengeTtl;
    private final Duration tokenTtl;
    private final DeviceStore store = new DeviceStore();

    public DeviceAuth(Jdbi jdbi, Clock clock, Duration challengeTtl, Duration tokenTtl) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.challengeTtl = challengeTtl;
        this.tokenTtl = tokenTtl;
    }

    /** The bytes a device signs to answer {@code nonce}. */
    public static byte[] challengeBytes(String deviceId, String nonce) {
        return ("flotilla-device-auth:" + deviceId + ":" + nonce).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A new nonce for the device. Challenges are open (anyone may ask), so when {@value #MAX_OPEN_CHALLENGES}
     * are open for the device the oldest (in the order made, column {@code seq}) are dropped to make room:
     * the newest challenges win.
     *
     * @throws DomainError.NotFound  for an unknown device
     * @throws DomainError.Forbidden {@code device_decommissioned} for a decommissioned one
     */
    public Challenge challenge(String deviceId) {
        long expires = clock.millis() + challengeTtl.toMillis();
        String nonce = Hex.encode(Secrets.randomBytes(32));
        jdbi.useTransaction(h -> {
            Device d = store.find(h, deviceId).orElseThrow(() -> new DomainError.NotFound("device"));
            DeviceService.requireActive(d);
            open(h, deviceId, nonce, expires);
        });
        return new Challenge(nonce, Instant.ofEpochMilli(expires).toString());
    }

    /** Stores an open challenge of the device, evicting its oldest beyond {@value #MAX_OPEN_CHALLENGES}. */
    private void open(Handle h, String deviceId, String nonce, long expires) {
        h.createUpdate("DELETE FROM device_challenges WHERE expires_at <= :now").bind("now", clock.millis()).execute();
        int open = h.createQuery("SELECT COUNT(*) FROM device_challenges WHERE device_id = :d")
                .bind("d", deviceId).mapTo(Integer.class).one();
        if (open >= MAX_OPEN_CHALLENGES) {
            h.createUpdate("""
                            DELETE FROM device_challenges WHERE nonce IN (SELECT nonce FROM device_challenges
                            WHERE device_id = :d ORDER BY seq LIMIT :n)""")
                    .bind("d", deviceId).bind("n", open - MAX_OPEN_CHALLENGES + 1).execute();
        }
        h.createUpdate("INSERT INTO device_challenges (nonce, device_id, expires_at) VALUES (:n, :d, :e)")
                .bind("n", nonce).bind("d", deviceId).bind("e", expires).execute();
    }

    /** The bytes a device signs to prove it holds the key it enrolled with ({@link #enrolled}). */
    public static byte[] enrollmentProofBytes(String keyId, String nonce) {
        return ("flotilla-device-enroll:" + keyId + ":" + nonce).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A nonce for a device that may have enrolled {@code key} already (it lost the enrollment's answer). When a
     * device holds the key, the nonce is one of that device's open challenges (as for {@link #challenge}, also
     * when it is decommissioned); otherwise it is stored nowhere. The answer looks the same either way, so it
     * tells nothing about the key.
     */
    public Challenge enrollmentChallenge(Key key) {
        long expires = clock.millis() + challengeTtl.toMillis();
        String nonce = Hex.encode(Secrets.randomBytes(32));
        jdbi.useTransaction(h -> store.findByKeyId(h, key.keyId())
                .ifPresent(d -> open(h, d.id(), nonce, expires)));
        return new Challenge(nonce, Instant.ofEpochMilli(expires).toString());
    }

    /**
     * The device enrolled with {@code key}, for a caller that signed {@link #enrollmentProofBytes} of a nonce
     * from {@link #enrollmentChallenge} with that key: the proof that it is the device. No token: the device
     * logs in as always. The nonce is used up whether or not the signature verifies.
     *
     * @throws DomainError.Unauthenticated {@code invalid_proof} when no device holds the key, the nonce is
     *                                     unknown, used or expired, or the signature does not verify (one answer
     *                                     for all)
     * @throws DomainError.Forbidden       {@code device_decommissioned} for a decommissioned device, once proven
     */
    public Device enrolled(Key key, String nonce, byte[] signature) {
        Optional<Device> proven = jdbi.inTransaction(h -> {
            Optional<Device> d = store.findByKeyId(h, key.keyId());
            if (d.isEmpty()) {
                return Optional.<Device>empty();
            }
            boolean signed = useUp(h, d.get().id(), nonce) && Key.fromJson(d.get().publicKey())
                    .verify(signature, enrollmentProofBytes(key.keyId(), nonce));
            return signed ? d : Optional.<Device>empty();
        });
        Device d = proven.orElseThrow(() -> new DomainError.Unauthenticated("invalid_proof",
                "no device holds this key, or the challenge is unknown, used or expired, or the signature does not "
                        + "verify with the key"));
        DeviceService.requireActive(d);
        return d;
    }

    /**
     * Exchanges a signed nonce for a token. The nonce is used up whether or not the signature verifies.
     *
     * @throws DomainError.Unauthenticated {@code invalid_challenge} for an unknown, used or expired nonce,
     *                                     {@code bad_signature} when the signature is not the device's
     * @throws DomainError.NotFound        for an unknown device
     * @throws DomainError.Forbidden       {@code device_decommissioned} for a decommissioned one
     */
    public Session token(String deviceId, String nonce, byte[] signature) {
        // The transaction commits the used-up nonce even when the signature fails (then it yields null).
        Session session = jdbi.inTransaction(h -> {
            Device d = store.find(h, deviceId).orElseThrow(() -> new DomainError.NotFound("device"));
            DeviceService.requireActive(d);
            if (!useUp(h, deviceId, nonce)) {
                throw new DomainError.Unauthenticated("invalid_challenge", "unknown, used or expired challenge");
            }
            if (!Key.fromJson(d.publicKey()).verify(signature, challengeBytes(deviceId, nonce))) {
                return null;
            }
            h.createUpdate("DELETE FROM device_sessions WHERE device_id = :d AND expires_at <= :now")
                    .bind("d", deviceId).bind("now", clock.millis()).execute();
            String secret = Secrets.newSecret(TOKEN_PREFIX);
            long expires = clock.millis() + tokenTtl.toMillis();
            h.createUpdate("INSERT INTO device_sessions (secret_hash, device_id, expires_at) VALUES (:h, :d, :e)")
                    .bind("h", Secrets.hash(secret)).bind("d", deviceId).bind("e", expires).execute();
            return new Session(secret, Instant.ofEpochMilli(expires).toString());
        });
        if (session == null) {
            throw new DomainError.Unauthenticated("bad_signature",
                    "the challenge signature does not verify with the device key");
        }
        return session;
    }

    /** Deletes the device's open challenge {@code nonce}; whether there was one (unexpired). */
    private boolean useUp(Handle h, String deviceId, String nonce) {
        return h.createUpdate("DELETE FROM device_challenges WHERE nonce = :n AND device_id = :d AND expires_at > :now")
                .bind("n", nonce).bind("d", deviceId).bind("now", clock.millis()).execute() == 1;
    }

    /** The id of the active device holding this unexpired token. */
    public Optional<String> authenticate(String secret) {
        if (!secret.startsWith(TOKEN_PREFIX)) {
            return Optional.empty();
        }
        return jdbi.withHandle(h -> h.createQuery("SELECT s.device_id FROM " + SESSIONS + " WHERE " + VALID_TOKEN)
                .bind(0, Secrets.hash(secret)).bind(1, clock.millis()).mapTo(String.class).findOne());
    }
}
