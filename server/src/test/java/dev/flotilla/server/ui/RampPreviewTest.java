package dev.flotilla.server.ui;

import dev.flotilla.server.rollouts.Ramp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A ramp's rate steps over the devices selected, and how long admitting them all takes. */
class RampPreviewTest {
    @Test
    void theRateGrowsByTheFactorAfterEachStepUpToTheMaximumWhichTakesTheRest() {
        Ramp ramp = new Ramp(10, 2, new Ramp.Criteria(50L, null), 35);
        RampPreview p = RampPreview.of(ramp, 1000);
        assertThat(p.onCommits()).isFalse();
        assertThat(p.steps()).containsExactly(new RampPreview.Step(1, 50, 10), new RampPreview.Step(51, 100, 20),
                new RampPreview.Step(101, 1000, 35));
        assertThat(p.fastMinutes()).isEqualTo((long) Math.ceil(5 + 2.5 + 900 / 35.0));
        assertThat(p.slowMinutes()).isEqualTo(100);
    }

    @Test
    void onCommitsTheSlowestIsTheFirstRateThroughoutAndRatesReadWithOneDecimal() {
        RampPreview p = RampPreview.of(new Ramp(3, 1.5, new Ramp.Criteria(null, 4L), 1000), 9);
        assertThat(p.onCommits()).isTrue();
        assertThat(p.every()).isEqualTo(4);
        assertThat(p.steps()).extracting(RampPreview.Step::perMinute).containsExactly("3", "4.5", "6.8");
        assertThat(p.slowMinutes()).isEqualTo(3);
    }

    @Test
    void aLongRampListsItsFirstStepsAndCountsTheRest() {
        RampPreview p = RampPreview.of(new Ramp(1, 1.1, new Ramp.Criteria(1L, null), 100_000), 30);
        assertThat(p.steps()).hasSize(RampPreview.STEPS_SHOWN);
        assertThat(p.moreSteps()).isEqualTo(30 - RampPreview.STEPS_SHOWN);
        assertThat(RampPreview.of(new Ramp(1, 2, new Ramp.Criteria(1L, null), 10), 0).steps()).isEmpty();
    }
}
