package dev.flotilla.core.tuf.repo;

import java.time.Duration;

/**
 * How long each role's metadata stays valid after it is (re)issued. Delegated targets roles use
 * {@link #targets()}.
 */
public record ExpiryPolicy(Duration root, Duration targets, Duration snapshot, Duration timestamp) {
    public ExpiryPolicy {
        for (Duration d : new Duration[] {root, targets, snapshot, timestamp}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("expiry durations must be positive");
            }
        }
    }

    /** root 365 days, targets 90 days, snapshot 7 days, timestamp 1 day. */
    public static ExpiryPolicy defaults() {
        return new ExpiryPolicy(Duration.ofDays(365), Duration.ofDays(90), Duration.ofDays(7), Duration.ofDays(1));
    }

    /** The lifetime for a role name (any name other than root, snapshot, timestamp is a targets role). */
    public Duration forRole(String role) {
        return switch (role) {
            case "root" -> root;
            case "snapshot" -> snapshot;
            case "timestamp" -> timestamp;
            default -> targets;
        };
    }
}
