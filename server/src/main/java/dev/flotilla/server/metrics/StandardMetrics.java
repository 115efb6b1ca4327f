package dev.flotilla.server.metrics;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

import javax.sql.DataSource;
import java.sql.SQLException;

/**
 * The metrics every JVM service exports, bound to the server's registry: JVM memory, garbage collection,
 * threads, class loading and build information ({@code jvm_*}), CPU and process figures ({@code system_*},
 * {@code process_*}: uptime, start time, open files) and the database connection pool ({@code hikaricp_*},
 * label {@code pool="flotilla"}). HTTP requests are counted by {@link HttpMetrics}.
 *
 * <p>Names follow Prometheus' conventions ({@code promtool check metrics} finds nothing): Micrometer's
 * {@code process.cpu.time} in nanoseconds is replaced by {@code process_cpu_seconds_total} (the name
 * Prometheus' own clients use), and {@code system.cpu.count} is exported as {@code system_cpus} (a
 * {@code _count} suffix belongs to histograms and summaries).
 */
public final class StandardMetrics implements AutoCloseable {
    private final JvmGcMetrics gc;

    private StandardMetrics(JvmGcMetrics gc) {
        this.gc = gc;
    }

    /**
     * Binds the JVM and process metrics to {@code registry}, and the connection pool's when {@code pool} is
     * (or wraps) a HikariCP pool. Close the result on shutdown: it stops listening for garbage collections.
     */
    public static StandardMetrics bind(MeterRegistry registry, DataSource pool) {
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"))
                .meterFilter(new MeterFilter() {
                    @Override
                    public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                    }
                });
        processCpuSeconds(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        hikari(pool).ifPresent(h -> h.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry)));
        return new StandardMetrics(gc);
    }

    /** The process's CPU time in seconds, when the JVM can tell it. */
    private static void processCpuSeconds(MeterRegistry registry) {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os && os.getProcessCpuTime() >= 0) {
            FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9).baseUnit("seconds")
                    .description("The CPU time used by the server's process").register(registry);
        }
    }

    private static java.util.Optional<HikariDataSource> hikari(DataSource pool) {
        try {
            return pool.isWrapperFor(HikariDataSource.class)
                    ? java.util.Optional.of(pool.unwrap(HikariDataSource.class)) : java.util.Optional.empty();
        } catch (SQLException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public void close() {
        gc.close();
    }
}
