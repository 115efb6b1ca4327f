package dev.flotilla.agent.update;

import java.io.IOException;

/** Sends events to the server (implemented by the network side, which maps HTTP statuses to a {@link Delivery}). */
public interface Reporter {

    /** What became of one event. */
    sealed interface Delivery {
        /** The server stored it (new or duplicate): remove it from the queue. */
        record Acknowledged() implements Delivery {
        }

        /**
         * The server refused it for good (e.g. 400, 404, 413, 422): sending it again will not help. The queue
         * drops it so that later events are not blocked behind it.
         *
         * @param status the HTTP status
         * @param code the server's error code, may be empty
         * @param message the server's message, may be empty
         */
        record Rejected(int status, String code, String message) implements Delivery {
        }

        /** Not delivered now (unreachable, 408, 429, 5xx, authentication): keep it and retry later, in order. */
        record Deferred(String why) implements Delivery {
        }
    }

    /**
     * Sends one event.
     *
     * @throws IOException when the server could not be reached; treated as {@link Delivery.Deferred}
     */
    Delivery send(Event event) throws IOException;
}
