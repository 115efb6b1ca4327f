package dev.flotilla.cli.bench;

import dev.flotilla.sim.ProcessMemory;
import dev.flotilla.sim.ServerProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The server processes of {@code bench fleet} ({@link ServerProcess}: each its own JVM, so that its memory is its
 * own), all on one database, each with its own data folder and log under the run's folder; and what the operating
 * system and the server's {@code /metrics} say about their memory.
 */
final class FleetNodes implements AutoCloseable {
    private final Path dir;
    private final String databaseUrl;
    private final String maxHeap;
    private final long pollSeconds;
    private final List<ServerProcess> nodes = new ArrayList<>();

    FleetNodes(Path dir, String databaseUrl, String maxHeap, long pollSeconds) {
        this.dir = dir;
        this.databaseUrl = databaseUrl;
        this.maxHeap = maxHeap;
        this.pollSeconds = pollSeconds;
    }

    /** Starts server processes until there are {@code count}; the first one migrates the database. */
    void startUpTo(int count) throws IOException, InterruptedException {
        while (nodes.size() < count) {
            String name = "node" + (nodes.size() + 1);
            nodes.add(ServerProcess.start(dir.resolve(name), databaseUrl, maxHeap, pollSeconds,
                    dir.resolve(name + ".log")));
        }
    }

    /** The running nodes' URLs, in start order. */
    List<URI> uris() {
        return nodes.stream().map(ServerProcess::uri).toList();
    }

    /** The running nodes' process ids, in start order. */
    List<Long> pids() {
        return nodes.stream().map(ServerProcess::pid).toList();
    }

    /** Where node {@code n}'s output goes (0 for the first). */
    Path log(int n) {
        return dir.resolve("node" + (n + 1) + ".log");
    }

    /** Node {@code n}'s memory ({@code /proc/PID/status}) in MiB, resident now or its peak; -1 when unknown. */
    long memoryMiB(int n, boolean peak) {
        return ProcessMemory.of(nodes.get(n).pid()).map(m -> peak ? m.hwmMiB() : m.rssMiB()).orElse(-1L);
    }

    /** The heap node {@code n} uses now (MiB, from its {@code /metrics}: {@code jvm_memory_used_bytes} of the heap). */
    long heapUsedMiB(HttpClient http, int n) throws IOException, InterruptedException {
        return (long) (metric(http, n, "jvm_memory_used_bytes{", "area=\"heap\"") / (1024 * 1024));
    }

    /** The devices in node {@code n}'s idle check-in cache now (its {@code flotilla_checkin_cache_devices}). */
    long cachedDevices(HttpClient http, int n) throws IOException, InterruptedException {
        return (long) metric(http, n, "flotilla_checkin_cache_devices ", "");
    }

    /** The sum of node {@code n}'s {@code /metrics} samples whose line starts with {@code prefix} and contains {@code label}. */
    private double metric(HttpClient http, int n, String prefix, String label) throws IOException, InterruptedException {
        String text = http.send(HttpRequest.newBuilder(nodes.get(n).uri().resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix) && line.contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Stops every node in order (or kills it after 30 s) and waits until its process is gone. */
    @Override
    public void close() {
        for (ServerProcess node : nodes) {
            node.close();
        }
    }
}
