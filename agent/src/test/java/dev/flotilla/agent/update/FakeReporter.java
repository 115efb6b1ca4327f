package dev.flotilla.agent.update;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** An in-memory server endpoint for events: records and acknowledges them unless offline. */
final class FakeReporter implements Reporter {
    final List<Event> received = new ArrayList<>();
    boolean offline;

    @Override
    public Delivery send(Event event) throws IOException {
        if (offline) {
            throw new IOException("server unreachable");
        }
        received.add(event);
        return new Delivery.Acknowledged();
    }

    /** The states of the received events, de-duplicated by event id, in order. */
    List<String> states() {
        return received.stream().map(e -> e.state() + "/" + e.reason()).distinct().toList();
    }
}
