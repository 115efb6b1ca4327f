package dev.flotilla.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.config.AgentConfigParser;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Which boards of a run retry a failed health round before it counts. */
class HealthGraceTest {
    private static Simulation.Settings settings(Scenario scenario, Faults faults) {
        return new Simulation.Settings(scenario, 10, 1, 5, 1024, Path.of("unused"), Duration.ofMinutes(1), 10, null,
                faults);
    }

    @Test
    void boardsOfAGoodReleaseRetryAFailedRoundForTheAgentsDefaultGraceInWallTime() {
        Faults drops = new Faults(0, 0, 0.05, 0, Faults.NONE.delayMillis());
        for (Scenario good : new Scenario[] {Scenario.GOOD_RELEASE, Scenario.SOAK, Scenario.POWER_CUTS,
                Scenario.FLAKY_NETWORK}) {
            assertThat(Simulation.healthGraceSeconds(settings(good, Faults.NONE), false)).as(good.id())
                    .isEqualTo(AgentConfigParser.DEFAULT_HEALTH_GRACE_SECONDS);
            assertThat(Simulation.healthGraceSeconds(settings(good, drops), false)).as(good.id())
                    .isEqualTo(AgentConfigParser.DEFAULT_HEALTH_GRACE_SECONDS);
        }
    }

    @Test
    void boardsOfABadReleaseRollBackAfterOneFailedRoundUnlessAnswersAreLost() {
        assertThat(Simulation.healthGraceSeconds(settings(Scenario.UNHEALTHY_RELEASE, Faults.NONE), false)).isZero();
        assertThat(Simulation.healthGraceSeconds(settings(Scenario.BAD_RELEASE, Faults.NONE), false)).isZero();
        Faults drops = new Faults(0, 0, 0.05, 0, Faults.NONE.delayMillis());
        assertThat(Simulation.healthGraceSeconds(settings(Scenario.UNHEALTHY_RELEASE, drops), false))
                .isEqualTo(AgentConfigParser.DEFAULT_HEALTH_GRACE_SECONDS / 5);
    }

    @Test
    void boardsFacingAServerCrashKeepTheUnscaledDefault() {
        assertThat(Simulation.healthGraceSeconds(settings(Scenario.SERVER_CRASH, Faults.NONE), true))
                .isEqualTo(AgentConfigParser.DEFAULT_HEALTH_GRACE_SECONDS);
    }
}
