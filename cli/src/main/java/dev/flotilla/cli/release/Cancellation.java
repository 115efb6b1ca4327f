package dev.flotilla.cli.release;

import java.io.PrintWriter;

/**
 * While open, says what a Ctrl-C (or SIGTERM) of {@code release publish} left behind, in one line on stderr:
 * during the upload nothing is published (the server deletes an upload that is cut off at once, and one that is
 * never published after six hours); once the release request is sent, the server may have recorded it.
 */
final class Cancellation implements AutoCloseable {
    private final PrintWriter err;
    private final Thread hook;
    private volatile boolean publishing;

    Cancellation(PrintWriter err) {
        this.err = err;
        this.hook = new Thread(this::say, "flotilla-publish-cancelled");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** From now on the release request is on its way. */
    void publishing() {
        publishing = true;
    }

    private void say() {
        err.println(publishing
                ? "flotilla: publish interrupted while the server was recording the release; see 'flotilla release list'"
                : "flotilla: publish cancelled during the upload; nothing was published");
        err.flush();
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook runs and says what happened
        }
    }
}
