package dev.flotilla.server.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gauges of the fleet, read from the database when scraped: {@code flotilla_devices{state}} (active devices
 * {@code online} and {@code offline}, and {@code decommissioned} ones). They are counted at most once per
 * {@link #EVERY}, however often and by however many scrapers they are read, so a scrape never costs more than
 * one count per period. The rollouts' gauges are {@link RolloutMetrics}.
 */
public final class FleetMetrics {
    /** How long a count is reused. */
    public static final Duration EVERY = Duration.ofSeconds(15);
    public static final List<String> DEVICE_STATES = List.of("online", "offline", "decommissioned");

    private FleetMetrics() {
    }

    /**
     * Registers {@code flotilla_devices}.
     *
     * @param devices counts of devices by state ({@link #DEVICE_STATES}); missing states count 0
     */
    public static void bind(MeterRegistry registry, Supplier<Map<String, Long>> devices) {
        family(registry, "flotilla.devices", "Devices by state: active online or offline, or decommissioned",
                DEVICE_STATES, new Cached(devices));
    }

    private static void family(MeterRegistry registry, String name, String help, List<String> states, Cached counts) {
        for (String state : states) {
            Gauge.builder(name, counts, c -> c.get().getOrDefault(state, 0L)).description(help).tag("state", state)
                    .strongReference(true).register(registry);
        }
    }

    /** Counts taken again when older than {@link #EVERY}; a failed count reads as the last one. */
    private static final class Cached {
        private final Supplier<Map<String, Long>> source;
        private Map<String, Long> last = Map.of();
        private long takenAt = Long.MIN_VALUE;

        Cached(Supplier<Map<String, Long>> source) {
            this.source = source;
        }

        synchronized Map<String, Long> get() {
            long now = System.nanoTime();
            if (takenAt == Long.MIN_VALUE || now - takenAt > EVERY.toNanos()) {
                takenAt = now;
                try {
                    last = source.get();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(FleetMetrics.class).warn("counting for metrics failed", e);
                }
            }
            return last;
        }
    }
}
