package dev.flotilla.server.devices;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A device list with a prefix search ({@code q}) on H2, as two statements merged here: the matches by id prefix
 * (a range of the primary key) and those by key-id prefix (a range of the key id's unique index), each with the
 * list's other filters, each in id order and cut at what the page needs. H2 plans each of them as that range
 * (or the other filter's index), where the one statement of {@link DeviceQuery.Search#UNION} reads the devices
 * after a page's last id one by one against its subquery, and every device inside a count. The answers are the
 * same: a device matches when either side does, listed once, in id order.
 */
final class SplitSearch {
    /** Reads the devices of the given ids, in id order. */
    @FunctionalInterface
    interface Rows {
        List<Device> read(Handle h, Query q);
    }

    private SplitSearch() {
    }

    /** Whether a list of {@code f} is read this way: a search on H2. */
    static boolean applies(Handle h, DeviceFilter f) {
        return f.search() != null && DeviceStore.isH2(h);
    }

    /** Up to {@code limit} matches after {@code after} (null: from the first) and {@code offset} more, by id. */
    static List<Device> list(Handle h, DeviceFilter f, String after, int offset, int limit, Rows rows) {
        int wanted = offset + limit;
        TreeSet<String> ids = new TreeSet<>();
        ids.addAll(ids(h, f, DeviceQuery.Search.ID, after, wanted));
        ids.addAll(ids(h, f, DeviceQuery.Search.KEY_ID, after, wanted));
        List<String> page = ids.stream().skip(offset).limit(limit).toList();
        if (page.isEmpty()) {
            return List.of();
        }
        return rows.read(h, h.createQuery("SELECT d.* FROM devices d WHERE d.id IN (<ids>) ORDER BY d.id")
                .bindList("ids", page));
    }

    /** How many devices match, counting no further than {@code limit}: reads at most that many ids per side. */
    static long countUpTo(Handle h, DeviceFilter f, long limit) {
        int cap = (int) Math.min(limit, Integer.MAX_VALUE);
        Set<String> ids = new HashSet<>(ids(h, f, DeviceQuery.Search.ID, null, cap));
        if (ids.size() < cap) {
            ids.addAll(ids(h, f, DeviceQuery.Search.KEY_ID, null, cap));
        }
        return Math.min(ids.size(), limit);
    }

    /** How many devices match: those by id, plus those by key id, less those both count. */
    static long count(Handle h, DeviceFilter f) {
        return new DeviceQuery(f, DeviceQuery.Search.ID).count(h)
                + new DeviceQuery(f, DeviceQuery.Search.KEY_ID).count(h)
                - new DeviceQuery(f, DeviceQuery.Search.BOTH).count(h);
    }

    /** The first {@code limit} ids of one side, after {@code after} (null: from the first), in id order. */
    private static List<String> ids(Handle h, DeviceFilter f, DeviceQuery.Search side, String after, int limit) {
        DeviceQuery query = new DeviceQuery(f, side);
        Query q = h.createQuery("SELECT d.id" + query.from((after == null ? "" : " AND d.id > :after")
                + " ORDER BY d.id LIMIT :limit"));
        if (after != null) {
            q.bind("after", after);
        }
        return query.bind(q).bind("limit", limit).mapTo(String.class).list();
    }
}
