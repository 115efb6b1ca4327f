package dev.flotilla.agent.boot;

import java.io.IOException;

/** The boot environment could not be read or changed (a tool failed, or a change did not stick). */
public final class BootEnvException extends IOException {
    public BootEnvException(String message) {
        super(message);
    }
}
