package dev.flotilla.agent.update;

import java.io.IOException;

/** Sends events to the server (implemented by the network side). */
public interface Reporter {
    /**
     * Sends one event.
     *
     * @return true when the server acknowledged it (it is then removed from the queue)
     * @throws IOException when the server could not be reached; the event stays queued
     */
    boolean send(Event event) throws IOException;
}
