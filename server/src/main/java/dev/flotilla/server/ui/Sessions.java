package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Secrets;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dashboard sessions, held in this server's memory: a restart signs every operator out, and behind a load
 * balancer a session holds on the server that made it (sticky sessions). A session names the API token it
 * was opened with (its id, never its secret) and carries its own CSRF token. It ends on sign-out, after
 * {@link #IDLE} without a request, or {@link #LIFETIME} after sign-in, whichever comes first; the map is
 * keyed by the SHA-256 of the cookie value and holds at most {@link #MAX_SESSIONS} (the oldest goes first).
 */
final class Sessions {
    static final Duration IDLE = Duration.ofMinutes(30);
    static final Duration LIFETIME = Duration.ofHours(12);
    static final int MAX_SESSIONS = 10_000;

    /** A live session: the API token id it acts as and its CSRF token. */
    record Session(String tokenId, String csrf, long createdAt, long lastUsedAt) {
    }

    /** A new session's cookie value and its state. */
    record Opened(String cookie, Session session) {
    }

    private final Map<String, Session> byHash = new ConcurrentHashMap<>();
    private final Clock clock;

    Sessions(Clock clock) {
        this.clock = clock;
    }

    /** Opens a session for the API token {@code tokenId}. */
    Opened open(String tokenId) {
        long now = clock.millis();
        purge(now);
        String cookie = Secrets.newSecret("fls_");
        Session s = new Session(tokenId, Secrets.newSecret(""), now, now);
        byHash.put(Secrets.hash(cookie), s);
        return new Opened(cookie, s);
    }

    /** The live session of this cookie value, its idle time restarted; empty when unknown or expired. */
    Optional<Session> use(String cookie) {
        if (cookie == null || cookie.isEmpty()) {
            return Optional.empty();
        }
        long now = clock.millis();
        String key = Secrets.hash(cookie);
        Session s = byHash.computeIfPresent(key, (k, v) -> expired(v, now) ? null
                : new Session(v.tokenId(), v.csrf(), v.createdAt(), now));
        return Optional.ofNullable(s);
    }

    /** Ends the session of this cookie value, if any. */
    void close(String cookie) {
        if (cookie != null) {
            byHash.remove(Secrets.hash(cookie));
        }
    }

    int size() {
        return byHash.size();
    }

    private static boolean expired(Session s, long now) {
        return now - s.lastUsedAt() >= IDLE.toMillis() || now - s.createdAt() >= LIFETIME.toMillis();
    }

    private void purge(long now) {
        byHash.values().removeIf(s -> expired(s, now));
        while (byHash.size() >= MAX_SESSIONS) {
            byHash.entrySet().stream().min(java.util.Comparator.comparingLong(e -> e.getValue().createdAt()))
                    .ifPresent(e -> byHash.remove(e.getKey()));
        }
    }
}
