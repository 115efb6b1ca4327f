package dev.flotilla.server;

/**
 * The server cannot start because of its surroundings, not a bug: its port or its data directory is taken,
 * its database cannot be opened, its artifact store cannot be used, or its online keys are missing or not
 * the trusted root's. The message is one line for the operator, naming what is in the way.
 */
public final class StartupException extends IllegalStateException {
    /** What stands in the way. */
    public enum Reason {
        /** Another process listens on the configured port. */
        PORT_IN_USE,
        /** Another process (another Flotilla server) holds the embedded database of the data directory. */
        DATA_DIRECTORY_IN_USE,
        /** The configured address cannot be listened on (not an address of this machine, say). */
        CANNOT_LISTEN,
        /** The database cannot be reached or migrated. */
        DATABASE,
        /** The artifact store (object storage) cannot be reached, or refuses the credentials or the bucket. */
        ARTIFACT_STORE,
        /** The online keys cannot be read, or are not the ones the trusted root names. */
        ONLINE_KEYS
    }

    private final Reason reason;

    public StartupException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
