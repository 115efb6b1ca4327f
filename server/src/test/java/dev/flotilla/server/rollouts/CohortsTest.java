package dev.flotilla.server.rollouts;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Cohorts are deterministic, nested for any rollout, fleet and plan, and a non-empty stage has a device. */
class CohortsTest {

    @Property(tries = 300)
    void eachStageIsInsideTheNextForAnyRolloutFleetAndPlan(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String rolloutId,
                                                           @ForAll @Size(max = 300) Set<@AlphaChars @StringLength(min = 1, max = 12) String> fleet,
                                                           @ForAll("plans") Plan plan) {
        List<String> ids = new ArrayList<>(fleet);
        for (int k = 0; k + 1 < plan.stages().size(); k++) {
            List<String> inner = Cohorts.cohort(rolloutId, ids, plan, k);
            List<String> outer = Cohorts.cohort(rolloutId, ids, plan, k + 1);
            assertThat(outer).containsAll(inner);
        }
    }

    @Property(tries = 300)
    void aNonEmptySelectionPutsAtLeastOneDeviceInEveryStage(@ForAll @Size(min = 1, max = 300) Set<@AlphaChars @StringLength(min = 1, max = 12) String> fleet,
                                                            @ForAll("plans") Plan plan) {
        for (int size : Cohorts.sizes(plan, fleet.size())) {
            assertThat(size).isBetween(1, fleet.size());
        }
    }

    @Property(tries = 100)
    void aDevicesPlaceDoesNotDependOnTheOrderTheFleetIsListedIn(@ForAll @Size(max = 100) Set<@AlphaChars @StringLength(min = 1, max = 12) String> fleet) {
        List<String> forward = new ArrayList<>(fleet);
        List<String> backward = new ArrayList<>(forward);
        java.util.Collections.reverse(backward);
        assertThat(Cohorts.ranked("rol_x", forward)).isEqualTo(Cohorts.ranked("rol_x", backward));
    }

    /** Valid plans: 1 to 6 stages of growing percents and growing counts, mixed in any order. */
    @Provide
    Arbitrary<Plan> plans() {
        Arbitrary<List<Double>> percents = Arbitraries.doubles().between(0.01, 100).ofScale(2).set().ofMaxSize(4)
                .map(s -> s.stream().sorted().toList());
        Arbitrary<List<Long>> counts = Arbitraries.longs().between(1, 400).set().ofMaxSize(4)
                .map(s -> s.stream().sorted().toList());
        Arbitrary<List<Boolean>> order = Arbitraries.of(true, false).list().ofSize(8);
        return Combinators.combine(percents, counts, order).as((p, c, o) -> {
            List<Plan.Stage> stages = new ArrayList<>();
            int pi = 0;
            int ci = 0;
            for (boolean percentNext : o) {
                if (percentNext && pi < p.size()) {
                    stages.add(new Plan.Stage(p.get(pi++), null, null, null, null, null));
                } else if (ci < c.size()) {
                    stages.add(new Plan.Stage(null, c.get(ci++), null, null, null, null));
                }
            }
            if (stages.isEmpty()) {
                stages.add(new Plan.Stage(100.0, null, null, null, null, null));
            }
            // a 100% stage can only be last
            List<Plan.Stage> valid = new ArrayList<>();
            for (Plan.Stage s : stages) {
                valid.add(s);
                if (s.percent() != null && s.percent() == 100) {
                    break;
                }
            }
            return new Plan(valid, 0, null, Plan.Gates.NONE, null);
        });
    }

    @Test
    void theDefaultPlanOnAThousandDevicesIsTenOneHundredFiveHundredAndAll() {
        assertThat(Cohorts.sizes(Plan.DEFAULT, 1000)).containsExactly(10, 100, 500, 1000);
        assertThat(Cohorts.sizes(Plan.DEFAULT, 3)).containsExactly(1, 1, 2, 3);
        assertThat(Cohorts.sizes(Plan.DEFAULT, 0)).containsExactly(0, 0, 0, 0);
    }

    @Test
    void aCountStageBelowAnEarlierPercentStageIsRaisedToIt() {
        Plan plan = new Plan(List.of(new Plan.Stage(50.0, null, null, null, null, null),
                new Plan.Stage(null, 3L, null, null, null, null)), 0, null, Plan.Gates.NONE, null);
        assertThat(Cohorts.sizes(plan, 100)).containsExactly(50, 50);
    }

    @Test
    void positionsAreStableAndDifferBetweenRollouts() {
        assertThat(Cohorts.position("rol_a", "dev_1")).isEqualTo(Cohorts.position("rol_a", "dev_1")).isNotNegative();
        Set<String> firsts = new HashSet<>();
        List<String> fleet = List.of("dev_1", "dev_2", "dev_3", "dev_4", "dev_5", "dev_6", "dev_7", "dev_8");
        for (int i = 0; i < 20; i++) {
            firsts.add(Cohorts.ranked("rol_" + i, fleet).getFirst());
        }
        assertThat(firsts).as("the first device changes with the rollout").hasSizeGreaterThan(1);
    }
}
