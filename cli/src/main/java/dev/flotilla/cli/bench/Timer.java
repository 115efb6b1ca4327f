package dev.flotilla.cli.bench;

import java.util.Arrays;

/**
 * Times two operations in alternating rounds (A, B, A, B, ...) so that machine noise hits both alike, and
 * reports the median operations per second of each.
 */
final class Timer {
    private Timer() {
    }

    interface Op {
        void run() throws Exception;
    }

    /** Median rates of {@code a} and {@code b} over {@code rounds} alternating rounds of {@code roundMillis}. */
    static double[] compare(Op a, Op b, int rounds, long roundMillis) throws Exception {
        rate(a, roundMillis);
        rate(b, roundMillis);
        double[] ra = new double[rounds];
        double[] rb = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            ra[i] = rate(a, roundMillis);
            rb[i] = rate(b, roundMillis);
        }
        return new double[]{median(ra), median(rb)};
    }

    static double rate(Op op, long millis) throws Exception {
        long ops = 0;
        long start = System.nanoTime();
        long end = start + millis * 1_000_000;
        long now;
        do {
            op.run();
            ops++;
            now = System.nanoTime();
        } while (now < end);
        return ops / ((now - start) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
