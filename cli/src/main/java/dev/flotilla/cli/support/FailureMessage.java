package dev.flotilla.cli.support;

import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.repo.SigningException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** The one line a failed command prints after {@code flotilla: error: }: what went wrong, never a stack trace. */
public final class FailureMessage {
    private FailureMessage() {
    }

    /** What {@code e} says, with the file it names where it is a file system error. */
    public static String of(Throwable e) {
        String message = switch (e) {
            case KeyFormatException k -> k.getMessage();
            case SigningException s -> s.getMessage();
            case RepositoryError r -> r.getMessage();
            case IllegalArgumentException i -> i.getMessage();
            case IllegalStateException i -> i.getMessage();
            case UncheckedIOException u -> of(u.getCause());
            case IOException io -> describe(io);
            default -> e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        };
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        return message;
    }

    private static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException n -> n.getFile() + ": no such file or directory";
            case AccessDeniedException a -> a.getFile() + ": permission denied";
            case FileAlreadyExistsException f -> f.getFile() + ": already exists"
                    + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
            case FileSystemException f -> f.getFile() + ": " + (f.getReason() == null ? "cannot be used" : f.getReason());
            default -> e.getMessage();
        };
    }
}
