package dev.flotilla.server.devices;

import org.jdbi.v3.core.Handle;

/**
 * What a device event changes beyond the event history (e.g. the state of the device's deployment), told in
 * the transaction that stores the event: the event and its effect commit together or not at all, and an event
 * the device resends (same event id) is stored and told only once.
 */
public interface EventListener {
    /** Changes nothing. */
    EventListener NONE = (h, e) -> {
    };

    /** Called once per newly stored event, in the order the device sent them, on the storing transaction. */
    void stored(Handle h, DeviceEvent event);
}
