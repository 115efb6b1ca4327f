package dev.flotilla.server.events;

import dev.flotilla.server.devices.DeviceEvent;
import dev.flotilla.server.store.AfterCommit;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The server's event stream: the {@link FleetListener}s registered in the composition root, told in the order
 * they were registered. Services publish through {@link #after}, in the transaction that makes the change: the
 * listeners hear of it once that transaction committed ({@link AfterCommit}) and never of one rolled back.
 */
public final class FleetEvents {
    private static final Logger LOG = LoggerFactory.getLogger(FleetEvents.class);
    private final List<FleetListener> listeners = new CopyOnWriteArrayList<>();

    /** Adds a listener; it hears of the commits from now on. */
    public void listen(FleetListener listener) {
        listeners.add(listener);
    }

    /**
     * A listener whose every call is told to the registered listeners once {@code h}'s transaction committed.
     *
     * @throws IllegalStateException (on a call) when {@code h} is not in a transaction
     */
    public FleetListener after(Handle h) {
        return new FleetListener() {
            @Override
            public void deviceEventStored(DeviceEvent event) {
                later(h, l -> l.deviceEventStored(event));
            }

            @Override
            public void rolloutTransition(Transition transition) {
                later(h, l -> l.rolloutTransition(transition));
            }

            @Override
            public void stageStarted(StageStart stage) {
                later(h, l -> l.stageStarted(stage));
            }

            @Override
            public void gateEvaluated(GateEvaluation gate) {
                later(h, l -> l.gateEvaluated(gate));
            }

            @Override
            public void halted(GateEvaluation failing) {
                later(h, l -> l.halted(failing));
            }
        };
    }

    private void later(Handle h, Consumer<FleetListener> call) {
        AfterCommit.run(h, () -> tell(call));
    }

    /** Tells every listener; one that throws is logged and the others are still told. */
    private void tell(Consumer<FleetListener> call) {
        for (FleetListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("a fleet listener failed", e);
            }
        }
    }
}
