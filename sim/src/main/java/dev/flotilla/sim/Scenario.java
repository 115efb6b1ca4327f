package dev.flotilla.sim;

import dev.flotilla.agent.testimage.TestImage;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** A simulator scenario: what the rolled-out release does when a device boots it. */
public enum Scenario {
    /** The release boots and passes its health checks: every device must update and nothing may halt. */
    GOOD_RELEASE("good-release", TestImage.Behaviour.BOOT_OK),
    /** The release's image crashes on boot: the bootloader falls back and the first stage must halt. */
    BAD_RELEASE("bad-release", TestImage.Behaviour.CRASH_ON_BOOT),
    /** The release boots but fails its health check: the agent rolls back and the first stage must halt. */
    UNHEALTHY_RELEASE("unhealthy-release", TestImage.Behaviour.FAIL_HEALTH_CHECK),
    /**
     * A good release through a network that breaks 30% of the image downloads (the connection reset or
     * truncated mid-body): every device must still update, and nothing may be bricked, corrupted or halted.
     */
    FLAKY_NETWORK("flaky-network", TestImage.Behaviour.BOOT_OK, 0.3, false),
    /**
     * A good release while every board loses power once, just before a storage operation drawn at random
     * (un-fsynced writes lost), and boots again from what was durable: every device must still update, and
     * nothing may be bricked, corrupted or halted.
     */
    POWER_CUTS("power-cuts", TestImage.Behaviour.BOOT_OK, 0, true);

    private final String id;
    private final TestImage.Behaviour release;
    private final double brokenDownloads;
    private final boolean powerCuts;

    Scenario(String id, TestImage.Behaviour release) {
        this(id, release, 0, false);
    }

    Scenario(String id, TestImage.Behaviour release, double brokenDownloads, boolean powerCuts) {
        this.id = id;
        this.release = release;
        this.brokenDownloads = brokenDownloads;
        this.powerCuts = powerCuts;
    }

    /** Whether each board's power is cut once during the rollout. */
    public boolean powerCuts() {
        return powerCuts;
    }

    /** The share of image downloads a proxy breaks (0: devices talk to the server directly). */
    public double brokenDownloads() {
        return brokenDownloads;
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
