package dev.flotilla.server.devices;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Write-behind for {@code devices.last_seen_at} on the idle check-in path. {@link #record} only keeps the
 * latest time per device in memory; {@link #flush} writes all pending times in one JDBC batch (the server
 * flushes every second, before each operator read of devices, and on stop). A write never moves
 * {@code last_seen_at} backwards, so a late flush cannot undo a newer write of the full check-in path or of
 * another server instance. At most the last second of idle check-ins is lost if the process dies.
 */
public final class LastSeen {
    private final Jdbi jdbi;
    private final Map<String, Long> pending = new ConcurrentHashMap<>();

    public LastSeen(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Notes that {@code deviceId} was seen at {@code millis} (epoch ms); written by the next flush. */
    public void record(String deviceId, long millis) {
        pending.merge(deviceId, millis, Math::max);
    }

    /** Pending writes (for tests and metrics). */
    int pending() {
        return pending.size();
    }

    /** Writes every pending time; entries recorded meanwhile stay pending. Returns the rows written. */
    public synchronized int flush() {
        if (pending.isEmpty()) {
            return 0;
        }
        List<Map.Entry<String, Long>> taken = new ArrayList<>(pending.size());
        for (Map.Entry<String, Long> e : pending.entrySet()) {
            taken.add(Map.entry(e.getKey(), e.getValue()));
        }
        jdbi.useHandle(h -> {
            PreparedBatch batch = h.prepareBatch(
                    "UPDATE devices SET last_seen_at = :now WHERE id = :id AND (last_seen_at IS NULL OR last_seen_at < :now)");
            for (Map.Entry<String, Long> e : taken) {
                batch.bind("id", e.getKey()).bind("now", e.getValue()).add();
            }
            batch.execute();
        });
        for (Map.Entry<String, Long> e : taken) {
            pending.remove(e.getKey(), e.getValue());
        }
        return taken.size();
    }
}
