package dev.flotilla.core.tuf;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Early warnings that signed metadata is about to expire, worded the same wherever they are shown (the
 * CLI, the server's health endpoint, a device's security state on the dashboard). The offline roles (root, targets) are re-signed by people, so they
 * are warned about {@link #WINDOW} ahead; snapshot and timestamp are re-signed by the server on its own,
 * so for them only an expiry already past is worth a warning.
 */
public final class ExpiryWarnings {
    /** How long before a root or targets expiry the warnings start. */
    public static final Duration WINDOW = Duration.ofDays(30);

    private ExpiryWarnings() {
    }

    /**
     * A warning for one role's metadata, or empty when it is not due to expire within {@code window} of
     * {@code now} ({@code window} zero: only when already expired).
     */
    public static Optional<String> check(String role, long version, Instant expires, Instant now, Duration window) {
        if (expires.isAfter(now.plus(window))) {
            return Optional.empty();
        }
        String when = expires.isAfter(now)
                ? "expires " + expires + ", in " + describe(Duration.between(now, expires))
                : "expired at " + expires;
        return Optional.of(role + " version " + version + " " + when + " (" + remedy(role) + ")");
    }

    /** {@link #check} with the window this class uses for the role. */
    public static Optional<String> check(String role, long version, Instant expires, Instant now) {
        return check(role, version, expires, now, offline(role) ? WINDOW : Duration.ZERO);
    }

    /**
     * A warning for one device whose trusted root and targets expire, the earlier of them, at {@code expires}
     * (the {@code trustedMetadataExpires} of its signed manifest), or empty when that is more than
     * {@link #WINDOW} after {@code now}.
     */
    public static Optional<String> forDevice(Instant expires, Instant now) {
        if (expires.isAfter(now.plus(WINDOW))) {
            return Optional.empty();
        }
        return Optional.of(expires.isAfter(now)
                ? "the metadata this device trusts expires " + expires + ", in "
                        + describe(Duration.between(now, expires))
                        + " (it takes newer metadata from the server at its next refresh: see flotilla trust status)"
                : "the metadata this device trusts expired at " + expires
                        + " (it refuses updates until it takes newer metadata from the server: see flotilla trust status)");
    }

    private static boolean offline(String role) {
        return !role.equals("snapshot") && !role.equals("timestamp");
    }

    private static String remedy(String role) {
        return switch (role) {
            case "root" -> "issue the next root: flotilla trust rotate --server";
            case "snapshot", "timestamp" -> "the server re-signs it every minute: see its log";
            default -> "re-sign it: flotilla release refresh";
        };
    }

    private static String describe(Duration d) {
        long days = d.toDays();
        if (days >= 2) {
            return days + " days";
        }
        long hours = d.toHours();
        return hours >= 1 ? hours + (hours == 1 ? " hour" : " hours") : "less than an hour";
    }
}
