package dev.flotilla.agent.runtime;

import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.boot.EnvBootControl;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.net.DeviceHttp;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.time.Sleeper;
import dev.flotilla.core.tls.CaBundle;
import java.time.Clock;
import java.util.concurrent.ThreadFactory;

/**
 * Everything an {@link Agent} reaches the world through, passed to its constructor: the wall clock (metadata
 * expiry, install windows, event times), the {@link Sleeper} every wait and monotonic time goes through, the
 * factory of the threads it starts (the fsync and read-back threads beside a download), the HTTP port of
 * its server calls, the storage seam every durable write goes through (the slots' bytes included), and how
 * its boot control is opened. A device process builds them with {@link #forDevice}; the simulator passes
 * one shared HTTP client and one virtual-thread factory to all its boards, so a thousand agents in one JVM
 * share one selector thread and start no platform thread per download.
 *
 * @param http the device API's requests ({@link DeviceHttp}); shared by several agents, it must trust what each
 *             one's {@code caBundle} names
 */
public record AgentPorts(Clock clock, Sleeper sleeper, ThreadFactory threads, DeviceHttp http, Durable durable,
                         BootFactory boot) {

    /** Opens the device's boot control for its configuration (the {@code bootControl} section). */
    @FunctionalInterface
    public interface BootFactory {
        /** The configured backend: {@code simulated}, {@code uboot} or {@code grub}. */
        BootFactory CONFIGURED = (b, durable, rebooter) -> switch (b.backend()) {
            case SIMULATED -> EnvBootControl.simulated(b.stateFile(), b.cmdline(), durable, rebooter);
            case UBOOT -> EnvBootControl.uboot(b.fwEnvConfig(), b.cmdline(), durable, rebooter);
            case GRUB -> EnvBootControl.grub(b.grubenv(), b.cmdline(), durable, rebooter);
        };

        BootControl open(AgentConfig.BootConfig config, Durable durable, EnvBootControl.Rebooter rebooter);
    }

    /**
     * The ports of an agent that has the process to itself: the system clock, real sleeps, virtual threads,
     * its own connections ({@link DeviceHttp#direct}, trusting the configured {@code caBundle}), files, the
     * configured boot control.
     */
    public static AgentPorts forDevice(AgentConfig config) {
        ThreadFactory threads = Thread.ofVirtual().name("flotilla-agent-", 0).factory();
        DeviceHttp http = DeviceHttp.direct(config.caBundle().map(CaBundle::sslContext).orElse(null));
        return new AgentPorts(Clock.systemUTC(), Sleeper.SYSTEM, threads, http, new FileDurable(),
                BootFactory.CONFIGURED);
    }

    /** These ports on another wall clock. */
    public AgentPorts withClock(Clock c) {
        return new AgentPorts(c, sleeper, threads, http, durable, boot);
    }

    /** These ports on other storage. */
    public AgentPorts withDurable(Durable d) {
        return new AgentPorts(clock, sleeper, threads, http, d, boot);
    }

    /** These ports on another HTTP port (the simulator's boards share a measured client). */
    public AgentPorts withHttp(DeviceHttp h) {
        return new AgentPorts(clock, sleeper, threads, h, durable, boot);
    }

    /** These ports waiting on another sleeper. */
    public AgentPorts withSleeper(Sleeper s) {
        return new AgentPorts(clock, s, threads, http, durable, boot);
    }
}
