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
    UNHEALTHY_RELEASE("unhealthy-release", TestImage.Behaviour.FAIL_HEALTH_CHECK);

    private final String id;
    private final TestImage.Behaviour release;

    Scenario(String id, TestImage.Behaviour release) {
        this.id = id;
        this.release = release;
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
