package dev.flotilla.agent.update;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Events waiting for the server's acknowledgement: one file per event ({@code <seq>.json}, written
 * atomically through the storage seam) in a directory, sent in sequence order and deleted only once
 * acknowledged. Enqueueing the same sequence number again replaces the file (a transition redone after a
 * power cut keeps its event id).
 */
public final class ReportQueue {
    private final Path dir;
    private final Durable durable;

    public ReportQueue(Path dir, Durable durable) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.durable = durable;
    }

    /** Stores {@code event} durably. */
    public void enqueue(Event event) throws IOException {
        durable.replace(file(event.seq()), StateStore.JSON.writeValueAsBytes(event));
    }

    /** The queued events, oldest first. */
    public List<Event> pending() throws IOException {
        List<Event> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList()) {
                events.add(StateStore.JSON.readValue(Files.readAllBytes(f), Event.class));
            }
        }
        return events;
    }

    /**
     * Sends queued events in order until one is not acknowledged or the server cannot be reached.
     *
     * @return how many were acknowledged and removed
     */
    public int flush(Reporter reporter) throws IOException {
        int sent = 0;
        for (Event e : pending()) {
            boolean acked;
            try {
                acked = reporter.send(e);
            } catch (IOException unreachable) {
                return sent;
            }
            if (!acked) {
                return sent;
            }
            durable.delete(file(e.seq()));
            sent++;
        }
        return sent;
    }

    private Path file(long seq) {
        return dir.resolve(String.format("%020d.json", seq));
    }
}
