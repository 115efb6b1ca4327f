package dev.flotilla.cli.support;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
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
        } catch (Exception e) {
            return fail(FailureMessage.of(e));
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
}
