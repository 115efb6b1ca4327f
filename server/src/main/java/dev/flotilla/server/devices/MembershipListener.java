package dev.flotilla.server.devices;

import org.jdbi.v3.core.Handle;

/**
 * Told, inside the transaction that makes the change, when a device's group or tags change or a device is
 * created with a group or tags (pre-registration). The deployments use it to assign devices that join the
 * group or tag of an active deployment, and to re-sign the assignment of a device whose new group has another
 * maintenance window.
 */
public interface MembershipListener {
    /** Listens to nothing. */
    MembershipListener NONE = new MembershipListener() {
        @Override
        public void lock(Handle h) {
        }

        @Override
        public boolean changed(Handle h, String deviceId) {
            return false;
        }

        @Override
        public void committed(String deviceId) {
        }
    };

    /**
     * Called first in a transaction that is about to change memberships: takes the lock that serialises
     * membership changes with the creation and cancellation of group and tag deployments.
     */
    void lock(Handle h);

    /**
     * Called after the change, in the same transaction (after {@link #lock}).
     *
     * @return true when the device was given a new assignment or its assignment was re-signed
     */
    boolean changed(Handle h, String deviceId);

    /** Called after the commit for a device {@link #changed} returned true for (e.g. to wake it up). */
    void committed(String deviceId);
}
