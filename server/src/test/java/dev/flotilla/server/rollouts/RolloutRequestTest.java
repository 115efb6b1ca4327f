package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.server.errors.DomainError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Plans, selections and policies are validated whole, with an error that names the field. */
class RolloutRequestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RolloutRequest parse(String json) throws Exception {
        return RolloutRequest.parse(JSON.readTree(json.replace('\'', '"')));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "empty plan | {'stages': []} | invalid_plan | plan.stages must be an array of 1 to 100 stages",
            "no stages | {} | invalid_plan | plan.stages must be",
            "percent and count | {'stages': [{'percent': 5, 'count': 3}]} | invalid_plan | plan.stages[0] must have exactly one",
            "percent zero | {'stages': [{'percent': 0}]} | invalid_plan | plan.stages[0].percent must be a number above 0",
            "percent above 100 | {'stages': [{'percent': 101}]} | invalid_plan | plan.stages[0].percent",
            "percents not increasing | {'stages': [{'percent': 10}, {'percent': 10}]} | invalid_plan | plan.stages[1].percent must be above the previous",
            "counts not increasing | {'stages': [{'count': 10}, {'count': 5}]} | invalid_plan | plan.stages[1].count must be above",
            "a stage after 100% | {'stages': [{'percent': 100}, {'count': 5}]} | invalid_plan | plan.stages[1] follows a 100% stage",
            "threshold above 1 | {'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 1.5}}} | invalid_plan | plan.gates.failureRate.max must be a number from 0.0 to 1.0",
            "threshold below 0 | {'stages': [{'percent': 100, 'gates': {'rollbackRate': {'max': -0.1}}}]} | invalid_plan | plan.stages[0].gates.rollbackRate.max",
            "minDevices zero | {'stages': [{'percent': 100}], 'gates': {'timeoutRate': {'max': 0.1, 'minDevices': 0}}} | invalid_plan | plan.gates.timeoutRate.minDevices",
            "gate without max | {'stages': [{'percent': 100}], 'gates': {'failureRate': {}}} | invalid_plan | plan.gates.failureRate.max is required",
            "unknown gate | {'stages': [{'percent': 100}], 'gates': {'errorRate': {'max': 0.1}}} | invalid_plan | plan.gates.errorRate is not a known field",
            "unknown plan field | {'stages': [{'percent': 100}], 'soak': 60} | invalid_plan | plan.soak is not a known field",
            "unknown stage field | {'stages': [{'percent': 100, 'wait': 1}]} | invalid_plan | plan.stages[0].wait is not a known field",
            "negative soak | {'stages': [{'percent': 100}], 'soakSeconds': -1} | invalid_plan | plan.soakSeconds must be an integer",
            "zero timeout | {'stages': [{'percent': 100}], 'timeoutSeconds': 0} | invalid_plan | plan.timeoutSeconds must be an integer",
            "stages and ramp | {'stages': [{'percent': 100}], 'ramp': {}} | invalid_plan | plan must have either 'stages' or 'ramp', not both",
            "ramp without base | {'ramp': {'incrementFactor': 2, 'increaseCriteria': {'notified': 5}}} | invalid_plan | plan.ramp.baseRatePerMinute is required",
            "ramp base zero | {'ramp': {'baseRatePerMinute': 0, 'incrementFactor': 2, 'increaseCriteria': {'notified': 5}}} | invalid_plan | plan.ramp.baseRatePerMinute must be an integer from 1 to 100000",
            "ramp factor too small | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 1, 'increaseCriteria': {'notified': 5}}} | invalid_plan | plan.ramp.incrementFactor must be a number from 1.1 to 5.0",
            "ramp factor too large | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 6, 'increaseCriteria': {'notified': 5}}} | invalid_plan | plan.ramp.incrementFactor must be a number from 1.1 to 5.0",
            "ramp without criteria | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 2}} | invalid_plan | plan.ramp.increaseCriteria is required",
            "ramp with both criteria | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 2, 'increaseCriteria': {'notified': 5, 'succeeded': 5}}} | invalid_plan | plan.ramp.increaseCriteria must have exactly one of 'notified' and 'succeeded'",
            "ramp criteria zero | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 2, 'increaseCriteria': {'succeeded': 0}}} | invalid_plan | plan.ramp.increaseCriteria.succeeded must be an integer from 1",
            "ramp unknown criteria | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 2, 'increaseCriteria': {'started': 5}}} | invalid_plan | plan.ramp.increaseCriteria.started is not a known field",
            "ramp maximum below base | {'ramp': {'baseRatePerMinute': 50, 'incrementFactor': 2, 'increaseCriteria': {'notified': 5}, 'maximumPerMinute': 10}} | invalid_plan | plan.ramp.maximumPerMinute must be at least baseRatePerMinute (50), got 10",
            "ramp unknown field | {'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 2, 'increaseCriteria': {'notified': 5}, 'rate': 1}} | invalid_plan | plan.ramp.rate is not a known field",
    })
    void anInvalidPlanIsRefusedNamingTheField(String name, String plan, String code, String message) {
        assertThatThrownBy(() -> parse("{'target': 'fw.bin', 'selection': {}, 'plan': " + plan + "}"))
                .isInstanceOf(DomainError.Invalid.class).hasMessageContaining(message)
                .extracting(e -> ((DomainError) e).code()).isEqualTo(code);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no selection | {'target': 'fw.bin'} | invalid_selection | selection is required",
            "no target | {'selection': {}} | invalid_request | target is required",
            "unknown field | {'target': 'fw.bin', 'selection': {}, 'stages': []} | invalid_request | request.stages is not a known field",
            "unknown selection field | {'target': 'fw.bin', 'selection': {'group': 'lab'}} | invalid_selection | selection.group is not a known field",
            "bad mode | {'target': 'fw.bin', 'selection': {'mode': 'frozen'}} | invalid_selection | selection.mode must be",
            "bad version | {'target': 'fw.bin', 'selection': {'installedVersion': {'atLeast': 'v1'}}} | invalid_selection | selection.installedVersion.atLeast is not a version",
            "groups not a list | {'target': 'fw.bin', 'selection': {'groups': 'lab'}} | invalid_selection | selection.groups must be an array",
            "object attribute | {'target': 'fw.bin', 'selection': {'attributes': {'a': {}}}} | invalid_selection | selection.attributes.a must be a string",
            "bad install | {'target': 'fw.bin', 'selection': {}, 'policies': {'install': 'now'}} | invalid_policies | policies.install must be",
            "bad onHalt | {'target': 'fw.bin', 'selection': {}, 'policies': {'onHalt': 'stop'}} | invalid_policies | policies.onHalt must be",
            "bad cron | {'target': 'fw.bin', 'selection': {}, 'policies': {'maintenanceWindow': {'cron': '0 2 *', 'durationMinutes': 60}}} | invalid_policies | policies.maintenanceWindow.cron must have 5 fields",
            "bad zone | {'target': 'fw.bin', 'selection': {}, 'policies': {'maintenanceWindow': {'cron': '0 2 * * *', 'durationMinutes': 60, 'zone': 'Mars/Base'}}} | invalid_policies | policies.maintenanceWindow.zone unknown time zone 'Mars/Base'",
            "no duration | {'target': 'fw.bin', 'selection': {}, 'policies': {'maintenanceWindow': {'cron': '0 2 * * *'}}} | invalid_policies | policies.maintenanceWindow.durationMinutes is required",
            "bad start | {'target': 'fw.bin', 'selection': {}, 'policies': {'startAt': 'tomorrow'}} | invalid_policies | policies.startAt must be an ISO-8601 instant",
            "zero downloads | {'target': 'fw.bin', 'selection': {}, 'policies': {'maxConcurrentDownloads': 0}} | invalid_policies | policies.maxConcurrentDownloads",
    })
    void anInvalidRequestIsRefusedNamingTheField(String name, String request, String code, String message) {
        assertThatThrownBy(() -> parse(request)).isInstanceOf(DomainError.Invalid.class).hasMessageContaining(message)
                .extracting(e -> ((DomainError) e).code()).isEqualTo(code);
    }

    @Test
    void aRequestWithoutPlanOrPoliciesGetsTheDefaults() throws Exception {
        RolloutRequest r = parse("{'target': 'fw.bin', 'selection': {'groups': ['lab']}}");
        assertThat(r.plan()).isEqualTo(Plan.DEFAULT);
        assertThat(r.policies()).isEqualTo(Policies.DEFAULT);
        assertThat(r.selection().dynamic()).isTrue();
        assertThat(r.start()).isFalse();
    }

    @Test
    void aStoredPlanReadsBackAsTheSamePlan() throws Exception {
        RolloutRequest r = parse("""
                {'target': 'fw.bin', 'selection': {'tags': ['beta'], 'mode': 'static'},
                 'plan': {'stages': [{'count': 2, 'approval': true}, {'percent': 100, 'soakSeconds': 0,
                          'gates': {'rollbackRate': {'max': 0.1, 'minDevices': 3}}}],
                          'soakSeconds': 60, 'timeoutSeconds': 600, 'gates': {'failureRate': {'max': 0.2}}},
                 'policies': {'install': 'download-only', 'maintenanceWindow': {'cron': '0 2 * * *',
                              'durationMinutes': 120, 'zone': 'Europe/Berlin'}, 'onHalt': 'revert'}}""");
        assertThat(Plan.parse(JSON.readTree(RolloutRow.json(r.plan())))).isEqualTo(r.plan());
        assertThat(Selection.parse(JSON.readTree(RolloutRow.json(r.selection())))).isEqualTo(r.selection());
        assertThat(Policies.parse(JSON.readTree(RolloutRow.json(r.policies())))).isEqualTo(r.policies());
        assertThat(r.plan().approval(0)).isTrue();
        assertThat(r.plan().soakSeconds(1)).isZero();
        assertThat(r.plan().soakSeconds(0)).isEqualTo(60);
        assertThat(r.plan().gates(0).failureRate().max()).isEqualTo(0.2);
        assertThat(r.plan().gates(1).rollbackRate().minDevices()).isEqualTo(3);
    }

    @Test
    void aRampPlanReadsBackAsTheSamePlanAndItsRateGrowsByTheFactorUpToTheMaximum() throws Exception {
        RolloutRequest r = parse("""
                {'target': 'fw.bin', 'selection': {}, 'plan': {'ramp': {'baseRatePerMinute': 10, 'incrementFactor': 2,
                 'increaseCriteria': {'notified': 50}, 'maximumPerMinute': 45}, 'timeoutSeconds': 600}}""");
        String stored = RolloutRow.json(r.plan());
        assertThat(stored).contains("\"ramp\"").doesNotContain("stages");
        assertThat(Plan.parse(JSON.readTree(stored))).isEqualTo(r.plan());
        assertThat(r.plan().stages()).containsExactly(Plan.Stage.percent(100));
        Ramp ramp = r.plan().ramp();
        assertThat(ramp.rate(0, 0)).isEqualTo(10);
        assertThat(ramp.rate(49, 0)).isEqualTo(10);
        assertThat(ramp.rate(50, 0)).isEqualTo(20);
        assertThat(ramp.rate(100, 0)).isEqualTo(40);
        assertThat(ramp.rate(150, 0)).as("capped").isEqualTo(45);
        Ramp bySuccess = parse("{'target': 'fw.bin', 'selection': {}, 'plan': {'ramp': {'baseRatePerMinute': 3,"
                + " 'incrementFactor': 1.5, 'increaseCriteria': {'succeeded': 2}}}}").plan().ramp();
        assertThat(bySuccess.rate(100, 1)).isEqualTo(3);
        assertThat(bySuccess.rate(100, 2)).isEqualTo(4.5);
        assertThat(bySuccess.maximumPerMinute()).as("the default maximum").isEqualTo(1000);
    }
}
