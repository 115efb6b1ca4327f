package dev.flotilla.agent.update;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A configured health command: healthy when it exits 0 within its timeout. */
public record CommandCheck(List<String> command, Duration timeout) implements HealthCheck {
    public CommandCheck {
        command = List.copyOf(command);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty health command");
        }
    }

    @Override
    public Result run() throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return new Result.Unhealthy("TIMEOUT", command.get(0) + " timed out after " + timeout);
        }
        return p.exitValue() == 0 ? new Result.Healthy()
                : new Result.Unhealthy("EXIT_NONZERO", command.get(0) + " exited " + p.exitValue());
    }

    /** The command's file name, e.g. {@code 10-services} for {@code /usr/lib/flotilla/health.d/10-services}. */
    @Override
    public String name() {
        String c = command.get(0);
        return c.substring(c.lastIndexOf('/') + 1);
    }
}
