package dev.flotilla.agent.runtime;

import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.boot.EnvBootControl;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.ConfigException;
import dev.flotilla.agent.counter.AntiRollbackCounter;
import dev.flotilla.agent.install.DirectorVerifier;
import dev.flotilla.agent.install.MetadataRefresh;
import dev.flotilla.agent.install.ServerReachedCheck;
import dev.flotilla.agent.install.SlotRecords;
import dev.flotilla.agent.install.TufAssignmentVerification;
import dev.flotilla.agent.install.TufUpdateSource;
import dev.flotilla.agent.maintenance.DailyWindow;
import dev.flotilla.agent.maintenance.MaintenancePolicy;
import dev.flotilla.agent.net.Backoff;
import dev.flotilla.agent.net.DeviceIdentity;
import dev.flotilla.agent.net.EventReporter;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.slots.Slot;
import dev.flotilla.agent.slots.Slots;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.update.AgentListener;
import dev.flotilla.agent.update.CommandCheck;
import dev.flotilla.agent.update.HealthCheck;
import dev.flotilla.agent.update.HealthChecks;
import dev.flotilla.agent.update.ReportQueue;
import dev.flotilla.agent.update.StateStore;
import dev.flotilla.agent.update.UpdateMachine;
import dev.flotilla.agent.update.UpdateState;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TrustedClock;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The agent's composition root and main loop over its {@link AgentPorts}: its clock, its waits, the threads
 * it starts, the HTTP port of the device API, storage and boot control come from there (TUF metadata and
 * images are fetched over the JDK's {@code HttpURLConnection}, which starts no thread per request). First
 * start (key, trusted root, enrollment), then check in, run the update machine, sleep the server's interval
 * with jitter (or back off after errors), repeat. The
 * loop ends when the machine asked for a reboot (the reboot command ran; on a real device the process is
 * killed by it), on {@link #stop()}, or when the server says the device is decommissioned. The server being
 * unreachable never ends it, nor does any other answer: the interval a server names is capped at
 * {@link ServerClient#MAX_POLL_INTERVAL}, and a failed TUF refresh or check-in is a log line. Each turn
 * first refreshes the TUF metadata when {@code poll.metadataRefreshSeconds} have passed since the last try
 * ({@link MetadataRefresh}), so an idle device notices a frozen repository too. A device that cannot work
 * at all (a slot that does not exist, a boot environment that cannot be read) is refused by
 * {@link #checkDevice()} (the first step of {@link #firstStart()}) with a {@link ConfigException}.
 */
public final class Agent {
    /** How a loop ended. */
    public enum Exit { REBOOT_REQUESTED, STOPPED, DECOMMISSIONED }

    private final AgentConfig config;
    private final AgentPorts ports;
    private final Durable durable;
    private final Clock clock;
    private final DirectorVerifier director;
    private final Consumer<String> log;
    private final AgentListener listener;
    private final Wakeup wakeup;
    private final ServerClient client;
    private final DeviceIdentity identity;
    /** The CAs of {@code caBundle}, or null for the JDK's. */
    private final SSLContext tls;
    private BootControl boot;
    private TufUpdateSource source;
    private UpdateMachine machine;
    private MetadataRefresh metadata;

    /** An agent whose only listener is the {@link LoggingListener} on {@code log}. */
    public Agent(AgentConfig config, AgentPorts ports, DirectorVerifier director, Consumer<String> log) {
        this(config, ports, director, log, List.of());
    }

    /**
     * An agent that reaches the world only through {@code ports}, and also tells {@code listeners} (after the
     * {@link LoggingListener} on {@code log}) what it does: transitions, download progress, verification
     * results, dropped reports.
     */
    public Agent(AgentConfig config, AgentPorts ports, DirectorVerifier director, Consumer<String> log,
            List<? extends AgentListener> listeners) {
        List<AgentListener> all = new ArrayList<>();
        all.add(new LoggingListener(log));
        all.addAll(listeners);
        this.listener = AgentListener.all(all);
        this.config = config;
        this.ports = ports;
        this.durable = ports.durable();
        this.clock = ports.clock();
        this.wakeup = new Wakeup(ports.sleeper());
        this.director = director;
        this.log = log;
        this.tls = config.caBundle().map(CaBundle::sslContext).orElse(null);
        this.client = new ServerClient(config.server(), ports.http());
        this.identity = new DeviceIdentity(config.stateDir(), durable);
    }

    /** Wakes the loop for an immediate check-in (MQTT). */
    public Wakeup wakeup() {
        return wakeup;
    }

    public void stop() {
        wakeup.stop();
    }

    /**
     * Checks that this device can work before anything else happens: both slots exist, the kernel command
     * line names the running slot, the boot environment can be read. Runs once; later calls do nothing.
     *
     * @throws ConfigException naming the configuration key, the file and what is wrong
     */
    public void checkDevice() {
        if (boot != null) {
            return;
        }
        AgentConfig.BootConfig b = config.boot();
        LocalChecks.slots(config.slots());
        EnvBootControl.Rebooter rebooter = EnvBootControl.command(config.rebootCommand());
        BootControl control = ports.boot().open(b, durable, rebooter);
        LocalChecks.bootEnvironment(control, b);
        boot = control;
    }

    /**
     * First start: {@link #checkDevice()}, then device key, trusted root, enrollment; retried with backoff
     * while the server cannot be reached.
     *
     * @return the device id
     * @throws ServerClient.ServerRefusal when the server refuses the enrollment (e.g. a bad token)
     * @throws ConfigException when the device cannot work with this configuration
     */
    public String firstStart() throws IOException, InterruptedException {
        checkDevice();
        identity.key();
        identity.installTrustedRoot(config.trustedRoot(), config.metadataDir());
        Backoff backoff = backoff();
        while (true) {
            try {
                String id = identity.ensureEnrolled(client, config.enrollmentToken(), config.hardwareId());
                log.accept("device " + id + " (key " + identity.key().keyId().substring(0, 12) + "...)"
                        + (identity.foundByProof() ? ": enrolled by an earlier request whose answer was lost; found "
                        + "by proving the key" : ""));
                return id;
            } catch (ServerClient.ServerRefusal refused) {
                throw refused;
            } catch (IOException unreachable) {
                Duration d = backoff.failure();
                log.accept("enrollment: " + unreachable.getMessage() + "; retrying in " + d.toSeconds() + " s");
                if (wakeup.await(d) && wakeup.stopped()) {
                    throw new InterruptedException("stopped");
                }
            }
        }
    }

    /** Builds the parts (after {@link #firstStart}). */
    public void assemble() throws IOException {
        Path state = config.stateDir().resolve("state");
        checkDevice();
        AgentConfig.BootConfig b = config.boot();
        Slots slots = new Slots(new Slot("a", config.slots().a(), config.slots().capacityA()),
                new Slot("b", config.slots().b(), config.slots().capacityB()), boot, durable, Slots.DEFAULT_CHUNK,
                ports.threads());
        AntiRollbackCounter counter = new AntiRollbackCounter(state.resolve("counter"), durable);
        // expiry checks use trusted time: the local clock, but never earlier than it was at the last look
        Clock trustedClock = new TrustedClock(clock, state.resolve("trusted-time"));
        Updater updater = new Updater(UpdaterConfig.of(config.metadataDir(), config.metadataUrl(), null, null),
                new HttpFetcher().trusting(tls), trustedClock);
        metadata = new MetadataRefresh(updater, config.metadataDir(), trustedClock, config.poll().metadataRefresh(),
                log);
        EventReporter events = new EventReporter(client, clock);
        TufAssignmentVerification verification = new TufAssignmentVerification(updater, director, client.deviceId(),
                state.resolve("director-counter"), durable);
        source = new TufUpdateSource(new TufUpdateSource.Parts(client, events, verification, updater, boot, counter,
                new SlotRecords(state.resolve("slots"), durable)), config.hardwareId(), config.factoryVersion(),
                new TufUpdateSource.Download(config.targetsUrl(), config.imageMirrors(), 8, Duration.ofSeconds(2),
                        Duration.ofSeconds(30), tls, ports.sleeper()));
        source.log(log);
        source.listener(listener);
        source.metadataFrozenSince(metadata::frozenSince);
        ReportQueue queue = new ReportQueue(state.resolve("events"), durable, listener,
                new ReportQueue.Retry(config.poll().minBackoff(), config.poll().maxBackoff()), ports.sleeper()::nanoTime, clock);
        source.droppedReports(() -> {
            try {
                return queue.dropped();
            } catch (java.io.IOException e) {
                return -1; // unreadable count: say so rather than claim none
            }
        });
        List<HealthCheck> checks = new ArrayList<>();
        checks.add(new ServerReachedCheck(client, updater));
        for (AgentConfig.Command c : config.health().commands()) {
            checks.add(new CommandCheck(c.argv(), c.timeout()));
        }
        AgentConfig.MaintenanceConfig m = config.maintenance();
        MaintenancePolicy policy = new MaintenancePolicy(m.windows().stream().map(DailyWindow::parse).toList(),
                m.zone(), m.idleCheck() == null ? null : new CommandCheck(m.idleCheck().argv(), m.idleCheck().timeout()),
                clock);
        UpdateMachine.Settings settings = new UpdateMachine.Settings(b.trialTries(), 5, 16L << 20, 100,
                config.health().postCommit());
        HealthChecks health = HealthChecks.system(checks, healthTiming(config.health()), ports.sleeper());
        machine = new UpdateMachine(new UpdateMachine.Device(slots, boot, counter, health, clock),
                new StateStore(state.resolve("state.json"), durable),
                new UpdateMachine.Reporting(queue, events, listener), source, settings, policy);
        source.health(machine::health);
    }

    /** The health checks' timing from the configuration. */
    public static HealthChecks.Timing healthTiming(AgentConfig.HealthConfig h) {
        return new HealthChecks.Timing(h.minimumUptime(), h.grace(), h.retryInterval());
    }

    /** The main loop. */
    public Exit run() throws IOException, InterruptedException {
        Backoff backoff = backoff();
        while (!wakeup.stopped()) {
            metadata.refreshIfDue(); // never throws: a failure is one log line
            UpdateState s;
            try {
                s = machine.run();
            } catch (IOException | RuntimeException e) {
                // a local error (state unreadable, disk): keep the agent alive and try again after a backoff
                log.accept("update step failed: " + e);
                if (wakeup.await(backoff.failure()) && wakeup.stopped()) {
                    break;
                }
                continue;
            }
            if (machine.rebootRequested()) {
                log.accept("reboot requested (" + s.label() + ")");
                return Exit.REBOOT_REQUESTED;
            }
            if (!(s instanceof UpdateState.Idle)) {
                try {
                    source.checkIn(); // heartbeat while an update waits (maintenance window, interrupted download)
                } catch (IOException | RuntimeException e) {
                    log.accept("check-in failed: " + e.getMessage());
                }
            }
            if (source.decommissioned()) {
                log.accept("the server says device " + client.deviceId() + " is decommissioned: stopping (it no "
                        + "longer checks in; re-commission it on the server, then restart the agent)");
                return Exit.DECOMMISSIONED;
            }
            Duration d = source.lastFailed() ? backoff.failure()
                    : backoff.success(source.lastInterval().orElse(config.poll().interval()));
            if (source.lastFailed()) {
                log.accept((source.lastFailedLocally() ? "local fault, not the server" : "server unreachable")
                        + " (" + backoff.consecutiveErrors() + " in a row: " + source.lastError() + "); next try in "
                        + d.toSeconds() + " s");
            }
            if (wakeup.await(d) && !wakeup.stopped()) {
                log.accept("woken up: checking in now");
            }
        }
        return Exit.STOPPED;
    }

    private Backoff backoff() {
        return new Backoff(config.poll().minBackoff(), config.poll().maxBackoff(), config.poll().jitter(),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /** The device id (after {@link #firstStart}). */
    public String deviceId() {
        return client.deviceId();
    }

    public TufUpdateSource source() {
        return source;
    }
}
