package dev.flotilla.agent.slots;

import java.io.IOException;

/** A slot refused a write: it is the active slot, or the image does not fit. */
public final class SlotException extends IOException {
    /** Why. */
    public enum Reason { ACTIVE_SLOT, TOO_LARGE }

    private final Reason reason;

    public SlotException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
