package dev.flotilla.server.devices;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether a device is online: it checked in within {@link #window()}, two poll intervals plus the
 * server's jitter of up to 20% (so one missed or late check-in does not make it offline). A device that
 * never checked in is offline. The one definition of "online" for the listing filter and the dashboard.
 */
public final class Presence {
    private final Clock clock;
    private final Duration window;

    public Presence(Clock clock, Duration pollInterval) {
        this.clock = clock;
        this.window = pollInterval.multipliedBy(12).dividedBy(5);
    }

    /** How recently an online device was last seen. */
    public Duration window() {
        return window;
    }

    /** The earliest {@code lastSeenAt} (epoch milliseconds) of an online device, now. */
    public long onlineSince() {
        return clock.millis() - window.toMillis();
    }

    /** Whether a device last seen at {@code lastSeenAt} (ISO-8601, null for never) is online now. */
    public boolean online(String lastSeenAt) {
        return lastSeenAt != null && Instant.parse(lastSeenAt).toEpochMilli() >= onlineSince();
    }
}
