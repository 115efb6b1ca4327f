package dev.flotilla.server.artifacts;

/** An object offered to {@link ArtifactStore#put} is longer than the limit it was given; nothing was stored. */
public final class ArtifactTooLargeException extends RuntimeException {
    public ArtifactTooLargeException(long maxBytes) {
        super("larger than " + maxBytes + " bytes", null, false, false);
    }
}
