package dev.flotilla.server.trust;

import dev.flotilla.core.tuf.ExpiryWarnings;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The trust part of the health endpoint: the current root and targets (version, expiry) and a warning for
 * each signed role that expires soon ({@link ExpiryWarnings}: root and targets 30 days ahead, snapshot and
 * timestamp once expired, which means the server's own re-signing fails).
 */
public final class TrustHealth {
    private final Jdbi jdbi;
    private final TufStore store;
    private final Clock clock;

    public TrustHealth(Jdbi jdbi, TufStore store, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.clock = clock;
    }

    /**
     * The health endpoint's answer: {@code {"status": "ok" | "warn", "trust": report}}, {@code warn} when
     * the report has any warning (the server still serves: a load balancer should keep sending traffic).
     */
    public Map<String, Object> health() {
        Map<String, Object> trust = report();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", ((List<?>) trust.get("warnings")).isEmpty() ? "ok" : "warn");
        out.put("trust", trust);
        return out;
    }

    /**
     * The report: {@code rootVersion, rootExpires, targetsVersion, targetsExpires} (each present once that
     * metadata exists) and {@code warnings} (a list, empty when all is well).
     */
    public Map<String, Object> report() {
        return jdbi.withHandle(this::report);
    }

    Map<String, Object> report(Handle h) {
        Instant now = clock.instant();
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (String role : List.of("root", "targets", "snapshot", "timestamp")) {
            Optional<TufStore.Stored> s = store.latest(h, role);
            if (s.isEmpty()) {
                continue;
            }
            if (role.equals("root") || role.equals("targets")) {
                out.put(role + "Version", s.get().version());
                out.put(role + "Expires", s.get().expires().toString());
            }
            ExpiryWarnings.check(role, s.get().version(), s.get().expires(), now).ifPresent(warnings::add);
        }
        out.put("warnings", warnings);
        return out;
    }
}
