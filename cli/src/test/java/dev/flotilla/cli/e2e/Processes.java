package dev.flotilla.cli.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Starts {@code flotilla} commands as real processes on this test's classpath and collects their output. */
final class Processes implements AutoCloseable {
    private final List<Process> started = new ArrayList<>();

    /** A running process whose output lines are collected in the background. */
    record Running(Process process, List<String> lines) {
        String waitForLine(String prefix, long timeoutMillis) throws InterruptedException {
            long end = System.currentTimeMillis() + timeoutMillis;
            while (System.currentTimeMillis() < end) {
                for (String l : lines) {
                    if (l.startsWith(prefix)) {
                        return l;
                    }
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no line starting with '" + prefix + "' in: " + lines);
        }
    }

    Running start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        return new Running(p, lines);
    }

    /** Runs a command to completion; fails the test with its output when it exits non-zero. */
    List<String> run(String... args) throws IOException, InterruptedException {
        Running r = start(args);
        if (!r.process().waitFor(120, TimeUnit.SECONDS)) {
            throw new AssertionError("timed out: flotilla " + String.join(" ", args));
        }
        r.process().getInputStream().close();
        Thread.sleep(100);
        if (r.process().exitValue() != 0) {
            throw new AssertionError("flotilla " + String.join(" ", args) + " exited " + r.process().exitValue() + ": " + r.lines());
        }
        return r.lines();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
        }
        for (Process p : started) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
