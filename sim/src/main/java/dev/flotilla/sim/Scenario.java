package dev.flotilla.sim;

import dev.flotilla.agent.testimage.TestImage;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** A simulator scenario: what the rolled-out release does when a device boots it. */
public enum Scenario {
    /** The release boots and passes its health checks: every device must update and nothing may halt. */
    GOOD_RELEASE("good-release", TestImage.Behaviour.BOOT_OK),
    /**
     * The release's image crashes on boot: the bootloader falls back and the first stage must halt. A few boards
     * are offline from before the rollout's start until after the halt ({@link #offline()}): back, they must not
     * get the release.
     */
    BAD_RELEASE("bad-release", TestImage.Behaviour.CRASH_ON_BOOT, true),
    /**
     * The release boots but fails its health check: the agent rolls back and the first stage must halt; boards
     * offline as in {@code bad-release}.
     */
    UNHEALTHY_RELEASE("unhealthy-release", TestImage.Behaviour.FAIL_HEALTH_CHECK, true),
    /**
     * The release's image hangs on boot (it never reaches the agent): the watchdog resets the board after
     * {@code Simulation.WATCHDOG_SECONDS}, and after the trial's boots the bootloader falls back; the first stage
     * must halt; boards offline as in {@code bad-release}.
     */
    HANGING_RELEASE("hanging-release", TestImage.Behaviour.HANG, true),
    /**
     * A good release through a network that breaks 30% of the image downloads (the connection reset or
     * truncated mid-body): every device must still update, and nothing may be bricked, corrupted or halted.
     */
    FLAKY_NETWORK("flaky-network", TestImage.Behaviour.BOOT_OK, 0.3),
    /**
     * A good release while every board loses power once, just before a storage operation drawn at random
     * (un-fsynced writes lost), and boots again from what was durable: every device must still update, and
     * nothing may be bricked, corrupted or halted.
     */
    POWER_CUTS("power-cuts", TestImage.Behaviour.BOOT_OK, 0, true, false),
    /**
     * A good release while the server, a separate process, is killed with SIGKILL mid-rollout and started
     * again on the same data and port: no report a board queued may be lost, and the rollout must complete.
     */
    SERVER_CRASH("server-crash", TestImage.Behaviour.BOOT_OK, 0, false, true),
    /**
     * A good release to the whole fleet, the server a separate process, while the boards keep checking in for the
     * soak time ({@code --minutes}): no request may fail; check-in throughput and latency and the server's
     * memory are measured.
     */
    SOAK("soak", TestImage.Behaviour.BOOT_OK, 0, false, false, true);

    /**
     * The most boards any scenario's rollout hands the release at once (its {@code maxConcurrentDownloads}; the
     * fleet size when that is smaller), as an operator caps a release to a large fleet: without it a stage of
     * thousands of boards downloads, installs and runs its trial at once on the cores the server shares.
     */
    public static final int MAX_DOWNLOADS = 500;
    /** The share of the fleet an {@link #offline()} scenario takes offline (at least one board). */
    public static final double OFFLINE_SHARE = 0.03;

    private final String id;
    private final TestImage.Behaviour release;
    private final double brokenDownloads;
    private final boolean powerCuts;
    private final boolean serverCrash;
    private final boolean soak;
    private final boolean offline;

    Scenario(String id, TestImage.Behaviour release) {
        this(id, release, 0, false, false, false);
    }

    Scenario(String id, TestImage.Behaviour release, boolean offline) {
        this(id, release, 0, false, false, false, offline);
    }

    Scenario(String id, TestImage.Behaviour release, double brokenDownloads) {
        this(id, release, brokenDownloads, false, false, false);
    }

    Scenario(String id, TestImage.Behaviour release, double brokenDownloads, boolean powerCuts, boolean serverCrash) {
        this(id, release, brokenDownloads, powerCuts, serverCrash, false);
    }

    Scenario(String id, TestImage.Behaviour release, double brokenDownloads, boolean powerCuts, boolean serverCrash,
             boolean soak) {
        this(id, release, brokenDownloads, powerCuts, serverCrash, soak, false);
    }

    Scenario(String id, TestImage.Behaviour release, double brokenDownloads, boolean powerCuts, boolean serverCrash,
             boolean soak, boolean offline) {
        this.offline = offline;
        this.id = id;
        this.release = release;
        this.brokenDownloads = brokenDownloads;
        this.powerCuts = powerCuts;
        this.serverCrash = serverCrash;
        this.soak = soak;
    }

    /**
     * Whether a few boards ({@link #OFFLINE_SHARE} of the fleet, at least one) lose their network before the
     * rollout starts and get it back after the rollout halted ({@link Outage}).
     */
    public boolean offline() {
        return offline;
    }

    /** Whether the fleet keeps checking in for the soak time, with the server a separate process. */
    public boolean soak() {
        return soak;
    }

    /** Whether the server runs as a child process (to kill it, or to measure its memory alone). */
    public boolean serverProcess() {
        return serverCrash || soak;
    }

    /** Whether the server runs as a child process that is killed and restarted mid-rollout. */
    public boolean serverCrash() {
        return serverCrash;
    }

    /** Whether each board's power is cut once during the rollout. */
    public boolean powerCuts() {
        return powerCuts;
    }

    /**
     * The network faults the scenario injects unless the run is given its own: for {@code flaky-network} 30% of
     * the image downloads broken mid-body, half by a reset and half by a truncation; none for the others.
     */
    public Faults faults() {
        return brokenDownloads == 0 ? Faults.NONE
                : new Faults(brokenDownloads / 2, brokenDownloads / 2, 0, 0, Faults.DEFAULT_DELAY_MILLIS);
    }

    /** The name on the command line and in the report. */
    public String id() {
        return id;
    }

    /** What the scenario's release does when booted. */
    public TestImage.Behaviour release() {
        return release;
    }

    /** Whether the release is a good one (a halt would be a false halt). */
    public boolean goodRelease() {
        return release == TestImage.Behaviour.BOOT_OK;
    }

    /** The scenario named {@code id}, if any. */
    public static Optional<Scenario> named(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst();
    }

    /** The names, comma-separated (for error messages and help). */
    public static String names() {
        return Arrays.stream(values()).map(Scenario::id).collect(Collectors.joining(", "));
    }
}
