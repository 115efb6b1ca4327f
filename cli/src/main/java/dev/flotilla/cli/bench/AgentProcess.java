package dev.flotilla.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.flotilla.sim.ProcessMemory;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The agent as a child process, the way a board's init system runs it: its output lines kept with the time
 * each arrived (and copied to a log file), and its memory read from {@code /proc/PID/status}.
 */
final class AgentProcess implements AutoCloseable {
    /** One line of the agent's output and the {@link System#nanoTime()} it arrived at. */
    record Line(long nanos, String text) {
    }

    private final Process process;
    private final List<Line> lines = new ArrayList<>();
    private final Thread reader;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.reader = Thread.ofPlatform().daemon().name("agent-output").start(() -> read(log));
    }

    /** Starts {@code command} with {@code env} added to this process's environment; stdout and stderr together. */
    static AgentProcess start(List<String> command, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new AgentProcess(pb.start(), log);
    }

    private void read(Path log) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                long now = System.nanoTime();
                synchronized (lines) {
                    lines.add(new Line(now, line));
                }
                out.println(line);
            }
        } catch (IOException e) {
            // the process ended; what was read is kept
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The first line so far that contains {@code text}. */
    Optional<Line> first(String text) {
        synchronized (lines) {
            return lines.stream().filter(l -> l.text().contains(text)).findFirst();
        }
    }

    /** The last {@code n} lines of its output so far, joined with " | " (for an error message). */
    String tail(int n) {
        synchronized (lines) {
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()).stream()
                    .map(Line::text).toList());
        }
    }

    /** Waits for the process to end (and its output to be read); its exit status. */
    int await(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the agent did not exit within " + seconds + " s");
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    /** The agent's memory now; empty once the process is gone. */
    Optional<ProcessMemory> memory() {
        return ProcessMemory.of(pid());
    }

    /** Resets VmHWM to the current RSS ({@code echo 5 > /proc/PID/clear_refs}); false when the kernel refused. */
    boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid()), "clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
    }
}
