package dev.flotilla.cli.bench;

import dev.flotilla.sim.ProcessMemory;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Load generation and the statistics of the HTTP benchmarks ({@code bench checkin}, {@code bench fleet},
 * {@code bench rollout}, ...).
 */
final class Load {
    private Load() {
    }

    interface Step {
        /** One operation; false when there is no more work. */
        boolean run() throws Exception;
    }

    /**
     * Runs {@code step} from {@code clients} tasks of {@code pool} until it returns false or {@code forMillis}
     * are up ({@code Long.MAX_VALUE}: no time limit); returns operations per second. Each task's first 65,536
     * latencies (nanoseconds) are added to {@code latencies} when it is not null.
     */
    static double run(ExecutorService pool, int clients, Step step, long forMillis, List<Long> latencies)
            throws Exception {
        long start = System.nanoTime();
        long end = forMillis == Long.MAX_VALUE ? Long.MAX_VALUE : start + forMillis * 1_000_000;
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                long count = 0;
                while (System.nanoTime() < end) {
                    long t = System.nanoTime();
                    if (!step.run()) {
                        break;
                    }
                    count++;
                    if (n < lat.length) {
                        lat[n++] = System.nanoTime() - t;
                    }
                }
                long[] out = Arrays.copyOf(lat, n + 1);
                out[n] = count;
                return out;
            }));
        }
        long total = 0;
        for (Future<long[]> f : futures) {
            long[] r = f.get();
            total += r[r.length - 1];
            if (latencies != null) {
                for (int k = 0; k < r.length - 1; k++) {
                    latencies.add(r[k]);
                }
            }
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }

    /** Operations per second and each operation's latency (nanoseconds) of a paced run. */
    record Paced(double perSecond, long[] latencies) {
    }

    /**
     * Runs {@code step} at {@code perSecond} for {@code forMillis} from {@code clients} tasks of {@code pool}, each
     * sending at its own fixed times (client c its k-th operation at {@code (c + k * clients) / perSecond} seconds
     * after the start), so that a slow answer delays what follows instead of lowering the rate asked for. A latency
     * is counted from the time the operation was due, not from when it was sent.
     */
    static Paced paced(ExecutorService pool, int clients, double perSecond, long forMillis, Step step) throws Exception {
        long start = System.nanoTime();
        long end = start + forMillis * 1_000_000;
        double interval = 1e9 / perSecond;
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                long[] lat = new long[1024];
                int n = 0;
                for (long k = 0; ; k++) {
                    long due = start + (long) ((client + k * clients) * interval);
                    if (due >= end) {
                        break;
                    }
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    step.run();
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = System.nanoTime() - due;
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : futures) {
            all.add(f.get());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] sorted = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Paced(sorted.length / seconds, sorted);
    }

    /** A progress bar on stderr, updated twice a second; one that prints nothing when {@code quiet}. */
    static ProgressBar bar(String task, long max, boolean quiet) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(quiet
                        ? new PrintStream(OutputStream.nullOutputStream()) : System.err)).build();
    }

    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The resident size of this JVM in MiB (-1 when /proc is not there). */
    static long rssMiB() {
        return ProcessMemory.self().map(ProcessMemory::rssMiB).orElse(-1L);
    }
}
