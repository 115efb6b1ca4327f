package dev.flotilla.core.tuf.client;

/** The transport failed or the server sent more than allowed; says nothing about the data's validity. */
public class DownloadError extends RuntimeException {
    /** What went wrong on the way. */
    public enum Kind {
        /** HTTP 403 or 404: the file is not there. */
        NOT_FOUND,
        /** Any other non-success status. */
        HTTP_STATUS,
        /** More bytes than the maximum allowed (endless-data defence). */
        TOO_LONG,
        /** Connection, timeout or read failure. */
        IO
    }

    private final Kind kind;

    public DownloadError(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public DownloadError(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String getMessage() {
        return kind + ": " + super.getMessage();
    }
}
