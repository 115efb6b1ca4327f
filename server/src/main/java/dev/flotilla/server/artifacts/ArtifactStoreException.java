package dev.flotilla.server.artifacts;

/**
 * The artifact store cannot do what was asked: it is unreachable, refuses the credentials, has no such bucket
 * or object, or the disk failed. The message is one line for an operator and never holds a credential.
 */
public class ArtifactStoreException extends RuntimeException {
    public ArtifactStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
