package dev.flotilla.server.store;

import org.h2.engine.Session;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Keeps the file of an embedded H2 database compact while the server runs (the server calls {@link #compact}
 * every second). H2 appends each commit to its file as a new chunk of pages; a chunk's space is reused only once
 * none of its pages is current any more, and a page that is seldom rewritten (the full pages of the events table
 * and its indexes, a row written once) keeps its whole chunk. H2 rewrites the few current pages of such sparse
 * chunks into new ones in its background writer thread, which it starts only when commits may be written late:
 * with {@code WRITE_DELAY=0} ({@link Database#h2Defaults}) nothing ever does: in a 10,000-device simulation the
 * file grew to 2.8 GB in 18 minutes, 4% of it current. This does that rewriting instead, a bounded amount at a
 * time, through H2's store ({@code MVStore.compact}, reached from a pooled connection's session: H2 classes outside
 * its JDBC API, so an H2 upgrade must keep them).
 */
public final class H2Compaction {
    /** Chunks with less than this percentage of current pages are rewritten. */
    static final int TARGET_FILL_RATE = 80;
    /** At most this many bytes of current pages are rewritten per call (under H2's store lock). */
    static final int MAX_REWRITE_BYTES = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(H2Compaction.class);
    private final MVStore store;

    private H2Compaction(MVStore store) {
        this.store = store;
    }

    /** The compaction of {@code db}'s file, when {@code db} is an H2 database in a file of this process. */
    public static Optional<H2Compaction> of(Database db) {
        if (!db.embeddedH2()) {
            return Optional.empty();
        }
        try (Connection c = db.dataSource().getConnection()) {
            Session session = c.unwrap(JdbcConnection.class).getSession();
            Store store = session instanceof SessionLocal local ? local.getDatabase().getStore() : null;
            MVStore mv = store == null ? null : store.getMvStore();
            return mv == null || mv.getFileStore() == null ? Optional.empty() : Optional.of(new H2Compaction(mv));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the H2 database to compact it: " + e.getMessage(), e);
        }
    }

    /**
     * Rewrites up to {@link #MAX_REWRITE_BYTES} of the current pages of the sparsest chunks, when the file's
     * chunks hold less than {@link #TARGET_FILL_RATE}% current pages; the emptied chunks are freed once H2's
     * retention time has passed. Returns whether it rewrote anything; false also once the database is closed.
     */
    public boolean compact() {
        return !store.isClosed() && store.compact(TARGET_FILL_RATE, MAX_REWRITE_BYTES);
    }

    /** {@link #compact()}, logging a failure instead of throwing it (for the scheduler). */
    public void compactQuietly() {
        try {
            compact();
        } catch (RuntimeException e) {
            LOG.warn("compacting the H2 database file failed; will retry", e);
        }
    }

    /** The percentage of the file's chunks that holds current pages (H2's {@code info.CHUNKS_FILL_RATE}). */
    int chunksFillRate() {
        return store.getFileStore().getChunksFillRate();
    }
}
