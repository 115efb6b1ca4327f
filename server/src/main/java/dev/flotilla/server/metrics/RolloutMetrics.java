package dev.flotilla.server.metrics;

import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import dev.flotilla.server.rollouts.RolloutStats;
import dev.flotilla.server.rollouts.Rollouts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rollouts' metrics. Gauges, read from the database at each scrape ({@link #refresh}), so every server
 * shows the same values: {@code flotilla_rollouts{kind, state}} (rollouts and deployments by state, every state
 * present), and for each rollout in progress (kind rollout, state active, paused or halted; deployments, of
 * which there may be one per device, are not listed one by one) {@code flotilla_rollout_stage{rollout}} (its
 * current stage, 0-based) and {@code flotilla_rollout_devices{rollout, state}} (its devices per funnel column).
 * No label names a device, and a rollout's series go away when it ends. A counter,
 * {@code flotilla_rollout_halts_total{gate}}, counts the halts this server's evaluator made, by the gate that
 * tripped (every gate present from the start).
 */
public final class RolloutMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutMetrics.class);
    private final Rollouts rollouts;
    private final MultiGauge byState;
    private final MultiGauge stage;
    private final MultiGauge devices;

    private RolloutMetrics(Rollouts rollouts, MeterRegistry registry) {
        this.rollouts = rollouts;
        this.byState = MultiGauge.builder("flotilla.rollouts").description("Rollouts and deployments by state")
                .register(registry);
        this.stage = MultiGauge.builder("flotilla.rollout.stage")
                .description("The current stage (0-based) of each rollout in progress").register(registry);
        this.devices = MultiGauge.builder("flotilla.rollout.devices")
                .description("Devices of each rollout in progress per funnel state").register(registry);
    }

    /** Registers the rollouts' metrics and counts the halts the {@link FleetEvents} tell of. */
    public static RolloutMetrics bind(MeterRegistry registry, Rollouts rollouts, FleetEvents events) {
        RolloutMetrics m = new RolloutMetrics(rollouts, registry);
        Map<String, Counter> halts = new java.util.concurrent.ConcurrentHashMap<>();
        for (String gate : RolloutStats.GATES) {
            halts.put(gate, Counter.builder("flotilla.rollout.halts").description("Rollouts halted, by the gate that tripped")
                    .tag("gate", gate).register(registry));
        }
        events.listen(new FleetListener() {
            @Override
            public void halted(FleetListener.GateEvaluation failing) {
                halts.computeIfAbsent(failing.gate(), g -> Counter.builder("flotilla.rollout.halts").tag("gate", g)
                        .register(registry)).increment();
            }
        });
        m.refresh();
        return m;
    }

    /** Reads the gauges' values from the database; a failure is logged and leaves the last values. */
    public void refresh() {
        RolloutStats s;
        try {
            s = rollouts.stats();
        } catch (RuntimeException e) {
            LOG.warn("reading the rollouts' metrics failed; the last values stay", e);
            return;
        }
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        s.byState().forEach((kind, m) -> m.forEach((state, n) ->
                states.add(MultiGauge.Row.of(Tags.of("kind", kind, "state", state), n))));
        byState.register(states, true);
        List<MultiGauge.Row<?>> stages = new ArrayList<>();
        List<MultiGauge.Row<?>> funnels = new ArrayList<>();
        for (RolloutStats.InProgress r : s.inProgress()) {
            stages.add(MultiGauge.Row.of(Tags.of("rollout", r.id()), r.stage()));
            r.funnel().forEach((state, n) -> funnels.add(MultiGauge.Row.of(Tags.of("rollout", r.id(), "state", state), n)));
        }
        stage.register(stages, true);
        devices.register(funnels, true);
    }
}
