package dev.flotilla.agent.update;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where updates come from (implemented by the network side: TUF refresh, check-in, ranged download).
 */
public interface UpdateSource {
    /**
     * Checks in and returns the assignment, already verified against signed metadata, or empty.
     *
     * @throws IOException when the server could not be reached or gave bad data
     */
    Optional<Assignment> poll() throws IOException;

    /**
     * Checks in while the machine holds an assignment it has not started installing, and returns the answer,
     * verified like {@link #poll}, or empty. Unlike {@link #poll} it prepares nothing for the answer (the
     * inactive slot still holds the held assignment's image). By default {@link #poll}.
     *
     * @throws IOException when the server could not be reached or gave bad data
     */
    default Optional<Assignment> recheck() throws IOException {
        return poll();
    }

    /**
     * Checks in without taking an assignment: the machine's check-in while reports it queued are not
     * delivered yet. Does nothing by default.
     *
     * @throws IOException when the server could not be reached
     */
    default void heartbeat() throws IOException {
    }

    /**
     * Opens the image's bytes starting at {@code offset}. The agent reads at most
     * {@code assignment.length() - offset} bytes and verifies the hash of the whole slot afterwards.
     */
    InputStream open(Assignment assignment, long offset) throws IOException;
}
