package dev.flotilla.server;

import dev.flotilla.server.StartupException.Reason;
import dev.flotilla.server.artifacts.ArtifactStore;
import dev.flotilla.server.artifacts.ArtifactStoreException;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.trust.OnlineKeys;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.javalin.Javalin;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The steps of a start that meet the machine around the server (its port, its data directory, its
 * database), each turning what is in the way into a {@link StartupException} of one line.
 */
final class Startup {
    /** H2's error code for a database file locked by another process. */
    private static final int H2_DATABASE_ALREADY_OPEN = 90020;
    private static final Logger LOG = LoggerFactory.getLogger(Startup.class);

    private Startup() {
    }

    /**
     * Refuses to start when the configured port is taken, before anything else is done (a port of 0 is
     * always free). {@link #listen} still catches the case where another process takes it meanwhile.
     *
     * @throws StartupException PORT_IN_USE or CANNOT_LISTEN
     */
    static void requirePortFree(ServerConfig config) {
        if (config.port() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as Jetty does: a port in TIME_WAIT is free
            probe.bind(new InetSocketAddress(config.host(), config.port()));
        } catch (IOException e) {
            throw cannotListen(config, e);
        }
    }

    /**
     * The online keys: read from the configured directory, or read (and made when missing) in the data directory.
     *
     * @throws StartupException ONLINE_KEYS when a configured key file is missing or not a key
     */
    static OnlineKeys loadOnlineKeys(ServerConfig config) {
        if (config.onlineKeys().dir() == null) {
            return OnlineKeys.loadOrCreate(config.dataDir());
        }
        try {
            return OnlineKeys.load(config.onlineKeys().dir());
        } catch (IllegalArgumentException e) {
            throw new StartupException(Reason.ONLINE_KEYS, e.getMessage(), e);
        }
    }

    /**
     * Refuses to start with online keys that the trusted root in the database does not name (a node given
     * other keys than its peers: devices would refuse everything it signs), unless the configuration says
     * they are new keys not yet in a root (then one WARN line). Nothing to check before a root is uploaded.
     *
     * @throws StartupException ONLINE_KEYS
     */
    static void requireKeysOfTheRoot(Jdbi jdbi, OnlineKeys keys, ServerConfig config) {
        Optional<String> mismatch = jdbi.withHandle(h -> new TufStore().latest(h, "root"))
                .map(s -> Metadata.fromBytes(s.bytes(), Root.class).signed())
                .flatMap(keys::notNamedBy);
        if (mismatch.isEmpty()) {
            return;
        }
        if (config.onlineKeys().notYetInRoot()) {
            LOG.warn("new online keys in {}: {}; devices refuse what they sign until a root naming them is uploaded",
                    config.onlineKeysDir(), mismatch.get());
            return;
        }
        throw new StartupException(Reason.ONLINE_KEYS, "the online keys in " + config.onlineKeysDir()
                + " are not the ones devices trust: " + mismatch.get() + "; give every server the same key files",
                null);
    }

    /**
     * Opens and migrates the configured database.
     *
     * @throws StartupException DATA_DIRECTORY_IN_USE when another process holds the embedded database;
     *                          DATABASE when it cannot be reached or migrated
     */
    /** The artifact store of {@code config}, checked (object storage: reachable, bucket, credentials). */
    static ArtifactStore openArtifacts(ServerConfig config) {
        try {
            return config.artifacts().open(config.dataDir());
        } catch (ArtifactStoreException e) {
            throw new StartupException(Reason.ARTIFACT_STORE, "cannot use the artifact store: " + e.getMessage(), e);
        }
    }

    static Database openDatabase(ServerConfig config) {
        try {
            return Database.open(config.databaseUrl());
        } catch (RuntimeException e) {
            if (lockedByAnotherProcess(e)) {
                boolean own = config.databaseUrl().equals(ServerConfig.defaultH2Url(config.dataDir()));
                throw new StartupException(Reason.DATA_DIRECTORY_IN_USE, own
                        ? "data directory " + config.dataDir() + " is in use by another Flotilla server"
                                + " (its database file is locked); stop that server or choose another data directory"
                        : "the database " + config.databaseUrl() + " is in use by another process"
                                + " (another Flotilla server?)", e);
            }
            throw new StartupException(Reason.DATABASE, "cannot open the database: " + firstLine(e), e);
        }
    }

    /**
     * Starts listening.
     *
     * @throws StartupException PORT_IN_USE or CANNOT_LISTEN
     */
    static void listen(Javalin app, ServerConfig config) {
        try {
            app.start(config.host(), config.port());
        } catch (RuntimeException e) {
            IOException cause = find(e, IOException.class);
            if (cause == null) {
                throw e;
            }
            throw cannotListen(config, cause);
        }
    }

    private static StartupException cannotListen(ServerConfig config, IOException e) {
        String where = "port " + config.port() + " on " + config.host();
        if (find(e, BindException.class) != null && String.valueOf(find(e, BindException.class).getMessage())
                .contains("in use")) {
            return new StartupException(Reason.PORT_IN_USE,
                    where + " is already in use by another process; stop it or choose another port", e);
        }
        return new StartupException(Reason.CANNOT_LISTEN, "cannot listen on " + where + ": " + firstLine(e), e);
    }

    private static boolean lockedByAnotherProcess(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException sql && sql.getErrorCode() == H2_DATABASE_ALREADY_OPEN) {
                return true;
            }
        }
        return false;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl).strip();
    }
}
