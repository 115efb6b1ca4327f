package dev.flotilla.server.rollouts;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A rollout test over a {@link Fleet} (made by the test, in {@link #dir}), closed after each test. */
abstract class FleetTest {
    @TempDir
    Path dir;
    Fleet fleet;

    @AfterEach
    void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }
}
