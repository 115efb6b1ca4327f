package dev.flotilla.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The server as a child JVM ({@link ServerMain} on this process's class path) on a data folder, so that it can
 * crash for real: {@link #kill()} sends SIGKILL (no shutdown hook, no drain, no close of the database), and
 * {@link #restart()} starts it again on the same folder and port. Its output goes to a log file.
 */
final class ServerProcess implements SimServer {
    /** How long a start may take before it counts as failed. */
    private static final Duration START = Duration.ofMinutes(2);

    private final Path data;
    private final long pollSeconds;
    private final Path log;
    private Process process;
    private URI uri;
    private volatile String adminToken;

    private ServerProcess(Path data, long pollSeconds, Path log) {
        this.data = data;
        this.pollSeconds = pollSeconds;
        this.log = log;
    }

    /** Starts a server on {@code data} on a free loopback port; its output is appended to {@code log}. */
    static ServerProcess start(Path data, long pollSeconds, Path log) throws IOException, InterruptedException {
        ServerProcess p = new ServerProcess(data, pollSeconds, log);
        p.launch(0);
        if (p.adminToken == null) {
            p.close();
            throw new IOException("the server process printed no admin token (was " + data + " used before?)");
        }
        return p;
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public String adminToken() {
        return adminToken;
    }

    /** The child's process id. */
    long pid() {
        return process.pid();
    }

    /** Kills the server with SIGKILL and waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Starts the server again on the same data folder and port (after {@link #kill()}). */
    void restart() throws IOException, InterruptedException {
        launch(uri.getPort());
    }

    private void launch(int port) throws IOException, InterruptedException {
        Files.createDirectories(data);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), data.toString(),
                Integer.toString(port), Long.toString(pollSeconds));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<URI> listening = new CompletableFuture<>();
        Process p = process;
        Thread.ofVirtual().name("server-output").start(() -> follow(p, listening));
        try {
            uri = listening.get(START.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IOException("the server process did not start (its output is in " + log + ")", e);
        }
    }

    /** Copies the child's output to the log, taking the admin token and the listening URL from it. */
    private void follow(Process p, CompletableFuture<URI> listening) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith(ServerMain.ADMIN_TOKEN)) {
                    adminToken = line.substring(ServerMain.ADMIN_TOKEN.length());
                    line = ServerMain.ADMIN_TOKEN + "(not logged)";
                } else if (line.startsWith(ServerMain.LISTENING)) {
                    listening.complete(URI.create(line.substring(ServerMain.LISTENING.length())));
                }
                Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            // the process ended
        }
        listening.completeExceptionally(new IOException("the server process ended"));
    }

    /** Stops the server in order (its standard input closes), or kills it after 30 s. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return uri + " (process " + process.pid() + ")";
    }
}
