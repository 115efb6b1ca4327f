package dev.flotilla.cli.support;

import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.repo.SigningException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;

/**
 * Base of commands that turn expected failures (bad key files, too few signatures, unreadable files,
 * invalid input) into one line on stderr and exit code 1, never a stack trace.
 */
public abstract class ToolCommand implements Callable<Integer> {
    public static final int FAILED = 1;

    @Spec
    protected CommandSpec spec;

    /** Does the work; returns the exit code. */
    protected abstract int execute() throws Exception;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (KeyFormatException | SigningException | RepositoryError | IllegalArgumentException
                 | IllegalStateException e) {
            return fail(e.getMessage());
        } catch (UncheckedIOException e) {
            return fail(describe(e.getCause()));
        } catch (IOException e) {
            return fail(describe(e));
        } catch (Exception e) {
            return fail(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected int fail(String message) {
        spec.commandLine().getErr().println("flotilla: error: " + message);
        spec.commandLine().getErr().flush();
        return FAILED;
    }

    private static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException n -> n.getFile() + ": no such file or directory";
            case AccessDeniedException a -> a.getFile() + ": permission denied";
            case FileAlreadyExistsException f -> f.getFile() + ": already exists"
                    + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
            default -> e.getMessage();
        };
    }
}
