package dev.flotilla.cli.e2e;

import dev.flotilla.cli.bench.BenchFleet;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Devices of a {@link BenchFleet} checking in continuously through a load balancer (two threads over all the
 * devices, 5 ms apart), and the devices of {@code reporters} reporting a {@code download_started} event of a rollout every
 * 50 ms in turn. Counts the check-ins and reports, the node that served each check-in (the {@code
 * X-Flotilla-Node} header), every failure (a status other than 200/304 for a check-in, an error for a report,
 * an exception), and the events acknowledged per device.
 */
final class DeviceTraffic implements AutoCloseable {
    private final BenchFleet fleet;
    private final String rolloutId;
    private final List<Integer> reporters;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
    private final Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
    private final AtomicLong checkIns = new AtomicLong();
    private final AtomicLong reports = new AtomicLong();
    private volatile boolean running = true;

    DeviceTraffic(BenchFleet fleet, String rolloutId, List<Integer> reporters) {
        this.fleet = fleet;
        this.rolloutId = rolloutId;
        this.reporters = reporters;
        for (int t = 0; t < 2; t++) {
            int first = t;
            threads.add(Thread.ofPlatform().name("check-ins-" + t).start(() -> checkIns(first)));
        }
        threads.add(Thread.ofPlatform().name("reports").start(this::reportEvents));
    }

    private void checkIns(int first) {
        for (int i = first; running; i = (i + 2) % fleet.size()) {
            try {
                HttpResponse<byte[]> r = fleet.checkInExchange(i);
                checkIns.incrementAndGet();
                if (r.statusCode() != 200 && r.statusCode() != 304) {
                    failures.add("check-in of " + fleet.id(i) + ": " + r.statusCode() + " " + new String(r.body()));
                }
                r.headers().firstValue("X-Flotilla-Node")
                        .ifPresent(n -> servedBy.computeIfAbsent(n, x -> new AtomicLong()).incrementAndGet());
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                failures.add("check-in of " + fleet.id(i) + ": " + e);
            }
        }
    }

    private void reportEvents() {
        for (int k = 0; running; k = (k + 1) % reporters.size()) {
            int i = reporters.get(k);
            try {
                List<String> ids = fleet.report(i, rolloutId, null, "download_started");
                reports.incrementAndGet();
                acknowledged.computeIfAbsent(fleet.id(i), x -> new CopyOnWriteArrayList<>()).addAll(ids);
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                failures.add("report of " + fleet.id(i) + ": " + e);
            }
        }
    }

    /** Check-ins served so far, by node name. */
    Map<String, Long> servedBy() {
        Map<String, Long> out = new TreeMap<>();
        servedBy.forEach((n, c) -> out.put(n, c.get()));
        return out;
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    long checkIns() {
        return checkIns.get();
    }

    long reports() {
        return reports.get();
    }

    /** The event ids each device's reports had acknowledged. */
    Map<String, List<String>> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    /** Stops the traffic and waits for its threads. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(60_000);
        }
    }
}
