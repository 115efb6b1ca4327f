package dev.flotilla.core.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * Programs that tests drive for real (Debian packages: mosquitto, HAProxy, Chromium): where one is missing the
 * test is skipped, saying why, on a developer's machine; under CI (the variable {@code CI} set and not
 * {@code false}; {@code .ci/run} sets it and installs every such program) a missing program fails the test,
 * so a broken install cannot pass as a green run with the real-component tests quietly skipped.
 */
public final class RequiredTools {
    private RequiredTools() {
    }

    /** Skips the calling test with {@code why} when {@code installed} is false, or fails it under CI. */
    public static void assumeInstalled(boolean installed, String why) {
        assumeInstalled(installed, why, underCi(System.getenv("CI")));
    }

    static void assumeInstalled(boolean installed, String why, boolean ci) {
        if (ci && !installed) {
            throw new AssertionError("under CI every tool the tests drive must be installed (.ci/run): " + why);
        }
        Assumptions.assumeTrue(installed, why);
    }

    static boolean underCi(String ci) {
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }
}
