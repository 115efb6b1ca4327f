package dev.flotilla.server;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.audit.AuditRoutes;
import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.devices.CheckIns;
import dev.flotilla.server.devices.DeviceDetails;
import dev.flotilla.server.devices.FleetOverview;
import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.ui.Dashboard;
import dev.flotilla.server.devices.DeviceApiRoutes;
import dev.flotilla.server.devices.DeviceAuth;
import dev.flotilla.server.devices.DeviceEvent;
import dev.flotilla.server.devices.DeviceEvents;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import dev.flotilla.server.store.Consistency;
import dev.flotilla.server.devices.DeviceRoutes;
import dev.flotilla.server.devices.DeviceService;
import dev.flotilla.server.devices.EventRetention;
import dev.flotilla.server.enrollment.EnrollmentRoutes;
import dev.flotilla.server.enrollment.EnrollmentService;
import dev.flotilla.server.http.Authenticator;
import dev.flotilla.server.http.ErrorMapping;
import dev.flotilla.server.http.Routes;
import dev.flotilla.server.metrics.HttpMetrics;
import dev.flotilla.server.metrics.RolloutMetrics;
import dev.flotilla.server.metrics.FleetMetrics;
import dev.flotilla.server.metrics.StandardMetrics;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.store.H2Compaction;
import dev.flotilla.server.deployments.DeploymentRoutes;
import dev.flotilla.server.deployments.Deployments;
import dev.flotilla.server.rollouts.Evaluator;
import dev.flotilla.server.rollouts.GroupWindowRoutes;
import dev.flotilla.server.rollouts.RolloutRoutes;
import dev.flotilla.server.rollouts.Rollouts;
import dev.flotilla.server.push.MqttWakeUps;
import dev.flotilla.server.tls.TlsConnector;
import dev.flotilla.server.http.Connectors;
import dev.flotilla.server.http.RequestBodies;
import dev.flotilla.server.http.ServerTiming;
import dev.flotilla.server.artifacts.ArtifactStore;
import dev.flotilla.server.releases.ArtifactAccess;
import dev.flotilla.server.releases.ArtifactDownloads;
import dev.flotilla.server.releases.ImageUploads;
import dev.flotilla.server.releases.ReleaseDeletion;
import dev.flotilla.server.releases.ReleaseRoutes;
import dev.flotilla.server.releases.ReleaseService;
import dev.flotilla.server.tokens.TokenRoutes;
import dev.flotilla.server.trust.OnlineKeys;
import dev.flotilla.server.trust.Publisher;
import dev.flotilla.server.trust.TargetsRefresh;
import dev.flotilla.server.trust.TrustHealth;
import dev.flotilla.server.trust.TrustService;
import dev.flotilla.server.trust.TufRoutes;
import dev.flotilla.server.trust.TufStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.flotilla.server.tokens.TokenService;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HandlerType;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The update server's composition root: opens (and migrates) the database, creates the services with
 * {@code new}, registers their routes on Javalin (virtual threads) and starts listening. No state that
 * matters is kept in memory, so several servers on one PostgreSQL database behave as one.
 */
public final class Server implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Server.class);
    private static final byte[] LIVE = "{\"status\":\"ok\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private final ServerConfig config;
    private final Database database;
    private final Javalin app;
    private final Optional<String> initialAdminToken;
    private final ScheduledExecutorService scheduler;
    private final Publisher publisher;
    private final OnlineKeys onlineKeys;
    private final List<AutoCloseable> closeables;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    private final CheckIns checkIns;
    private final Rollouts rollouts;
    private final EventRetention eventRetention;
    private final FleetOverview fleet;
    private final FleetEvents events;

    private Server(ServerConfig config, Database database, Javalin app, Optional<String> initialAdminToken,
                   ScheduledExecutorService scheduler, Publisher publisher, OnlineKeys onlineKeys,
                   List<AutoCloseable> closeables, CheckIns checkIns, Rollouts rollouts,
                   EventRetention eventRetention, FleetOverview fleet, FleetEvents events) {
        this.fleet = fleet;
        this.events = events;
        this.closeables = closeables;
        this.eventRetention = eventRetention;
        this.rollouts = rollouts;
        this.checkIns = checkIns;
        this.config = config;
        this.database = database;
        this.app = app;
        this.initialAdminToken = initialAdminToken;
        this.scheduler = scheduler;
        this.publisher = publisher;
        this.onlineKeys = onlineKeys;
    }

    /**
     * Starts a server: creates the data directory, migrates the database, creates the first admin token
     * if this database has never been started, and listens on the configured port.
     *
     * @throws UncheckedIOException when the data directory cannot be created
     * @throws StartupException      when the port or the data directory is taken, the database cannot be opened, or
     *                               the online keys cannot be read or are not those the trusted root names
     */
    public static Server start(ServerConfig config) {
        long started = System.nanoTime();
        Startup.requirePortFree(config);
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + config.dataDir(), e);
        }
        ArtifactStore artifacts = Startup.openArtifacts(config);
        // The keys are read (or made) while the database opens and migrates: two independent steps of a start.
        CompletableFuture<OnlineKeys> loading = CompletableFuture.supplyAsync(
                () -> Startup.loadOnlineKeys(config),
                task -> Thread.ofPlatform().name("flotilla-keys").daemon().start(task));
        Database db;
        try {
            db = Startup.openDatabase(config);
        } catch (RuntimeException | Error e) {
            loading.handle((k, x) -> null).join(); // no key file is still being written when start fails
            artifacts.close();
            throw e;
        }
        OnlineKeys keys;
        try {
            keys = result(loading);
            Startup.requireKeysOfTheRoot(db.jdbi(), keys, config);
        } catch (RuntimeException | Error e) {
            db.close();
            artifacts.close();
            throw e;
        }
        // Three threads: a long job (signing a large deployment's leftovers) must not hold up the lastSeen
        // flush or the wake-ups that wait out a settle.
        ScheduledExecutorService scheduler = new java.util.concurrent.ScheduledThreadPoolExecutor(3,
                Thread.ofPlatform().name("flotilla-scheduler-", 1).daemon().factory());
        List<AutoCloseable> closeables = new java.util.ArrayList<>();
        try {
            Jdbi jdbi = db.jdbi();
            AuditLog audit = new AuditLog(config.clock());
            TufStore tuf = new TufStore();
            TrustService trust = new TrustService(jdbi, tuf, keys, audit, config.clock());
            Publisher publisher = new Publisher(jdbi, tuf, keys, config.clock());
            ImageUploads uploads = new ImageUploads(jdbi, artifacts, config.maxImageBytes(), config.clock());
            TargetsRefresh targetsRefresh = new TargetsRefresh(jdbi, tuf, trust, publisher, audit, config.clock());
            TrustHealth trustHealth = new TrustHealth(jdbi, tuf, config.clock());
            ReleaseService releases = new ReleaseService(jdbi, tuf, trust, publisher, uploads, audit, config.clock());
            MqttWakeUps wakeUps = config.mqtt() == null ? null : new MqttWakeUps(config.mqtt());
            closeables.add(wakeUps);
            FleetEvents fleetEvents = new FleetEvents();
            Consistency consistency = new Consistency();
            Rollouts rollouts = new Rollouts(jdbi, tuf, keys.director(), audit, config.clock(),
                    wakeUps == null ? id -> { } : wakeUpAfterSettle(wakeUps, scheduler, db.postgres(),
                            config.cacheLease()),
                    fleetEvents, consistency);
            Deployments deployments = new Deployments(jdbi, rollouts, audit, config.clock(), consistency);
            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            closeables.add(StandardMetrics.bind(metrics, db.dataSource()));
            RolloutMetrics rolloutMetrics = RolloutMetrics.bind(metrics, rollouts, fleetEvents);
            TokenService tokens = new TokenService(jdbi, audit, config.clock());
            EnrollmentService enrollment = new EnrollmentService(jdbi, audit, config.clock());
            DeviceService devices = new DeviceService(jdbi, audit, enrollment, config.clock(),
                    deployments.membership(), consistency);
            DeviceAuth deviceAuth = new DeviceAuth(jdbi, config.clock(), config.challengeTtl(), config.deviceTokenTtl());
            CheckIns checkIns = new CheckIns(jdbi, db.dataSource(), config.clock(), config.pollInterval(), rollouts.assignments(),
                    db.postgres() ? CheckIns.Caching.POSTGRESQL
                            : db.embeddedH2() ? CheckIns.Caching.EMBEDDED_H2 : CheckIns.Caching.NONE,
                    idleCacheDevices(), config.cacheLease());
            closeables.add(checkIns::close);
            consistency.bind(checkIns);
            fleetEvents.listen(idleCacheUpdates(checkIns));
            DeviceEvents events = new DeviceEvents(jdbi, config.clock(), (h, e) -> {
                rollouts.assignments().onEvent(h, e);
                fleetEvents.after(h).deviceEventStored(e);
            });
            EventRetention eventRetention = new EventRetention(jdbi, db.postgres(), config.clock(),
                    config.eventsRetention(), EventRetention.BATCH, EventRetention.MAX_BATCHES,
                    io.micrometer.core.instrument.Counter.builder("flotilla.events.deleted")
                            .description("Device events deleted by the retention job of this server")
                            .register(metrics)::increment);
            Authenticator authenticator = new Authenticator() {
                @Override
                public Optional<Operator> operator(String bearer) {
                    return tokens.authenticate(bearer);
                }

                @Override
                public Optional<String> device(String bearer) {
                    return deviceAuth.authenticate(bearer);
                }
            };
            ReleaseDetails releaseDetails = new ReleaseDetails(jdbi, tuf);
            FleetOverview fleet = new FleetOverview(jdbi, tuf, releaseDetails, checkIns.presence(), consistency);
            Javalin app = Javalin.create(cfg -> {
                configure(cfg, config);
                cfg.events.serverStopped(artifacts::close); // after the requests in flight, not before

                HttpMetrics.install(cfg, metrics);
                Routes routes = new Routes(cfg.routes, authenticator);
                routes.open(HandlerType.GET, "/livez", ctx -> ctx.contentType("application/json").result(LIVE));
                routes.open(HandlerType.GET, "/healthz", ctx -> {
                    jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
                    ctx.json(trustHealth.health());
                });
                byte[] openApi = resource("/dev/flotilla/server/openapi.json");
                routes.open(HandlerType.GET, "/api/openapi.json",
                        ctx -> ctx.contentType("application/json").result(openApi));
                TokenRoutes.register(routes, tokens);
                EnrollmentRoutes.register(routes, enrollment);
                DeviceRoutes.register(routes, devices, events, checkIns, fleet);
                DeviceApiRoutes.register(routes, devices, deviceAuth, checkIns, events, metrics);
                TufRoutes.register(routes, jdbi, tuf, trust, targetsRefresh, new ArtifactDownloads(releases, artifacts,
                        config.artifacts(), config.publicArtifacts() ? null : new ArtifactAccess(jdbi)));
                ReleaseRoutes.register(routes, uploads, releases,
                        new ReleaseDeletion(jdbi, tuf, trust, publisher, artifacts, audit, config.clock()),
                        releaseDetails, path -> rollouts.ofTarget(path, ReleaseRoutes.ROLLOUTS_SHOWN));
                DeploymentRoutes.register(routes, deployments);
                RolloutRoutes.register(routes, rollouts);
                GroupWindowRoutes.register(routes, rollouts.groupWindows());
                routes.open(HandlerType.GET, "/metrics", ctx -> {
                    rolloutMetrics.refresh();
                    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
                });
                AuditRoutes.register(routes, jdbi, audit);
                FleetMetrics.bind(metrics, () -> {
                    FleetOverview.Summary f = fleet.summary();
                    return Map.of("online", f.online(), "offline", f.offline(), "decommissioned", f.decommissioned());
                });
                closeables.add(Dashboard.register(cfg.routes, new Dashboard.Services(tokens, devices, events, checkIns,
                        fleet, new DeviceDetails(jdbi, consistency), releaseDetails, jdbi, audit, rollouts, config.eventsRetention(),
                        fleetEvents),
                        config.clock()));
            });
            Startup.listen(app, config);
            // Only once listening: a start that fails to bind must not use up the one-time admin token.
            Optional<String> admin;
            try {
                admin = tokens.bootstrapAdmin();
            } catch (RuntimeException e) {
                app.stop();
                throw e;
            }
            scheduler.scheduleWithFixedDelay(publisher::refreshQuietly, 1, 60, TimeUnit.SECONDS);
            scheduler.scheduleWithFixedDelay(rollouts.assignments()::finishPendingQuietly, 1, 60, TimeUnit.SECONDS);
            scheduler.scheduleWithFixedDelay(rollouts.evaluator()::evaluateQuietly, 1, Evaluator.INTERVAL_SECONDS,
                    TimeUnit.SECONDS);
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    checkIns.flushLastSeen();
                } catch (RuntimeException e) {
                    LOG.warn("writing lastSeenAt failed; will retry", e);
                }
            }, 1, 1, TimeUnit.SECONDS);
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    uploads.purgeOlderThan(java.time.Duration.ofHours(6));
                } catch (RuntimeException e) {
                    LOG.warn("purging stale uploads failed; will retry", e);
                }
            }, 5, 3600, TimeUnit.SECONDS);
            scheduler.scheduleWithFixedDelay(eventRetention::runQuietly, 60, 300, TimeUnit.SECONDS);
            H2Compaction.of(db).ifPresent(
                    c -> scheduler.scheduleWithFixedDelay(c::compactQuietly, 1, 1, TimeUnit.SECONDS));
            LOG.info("listening on port {} after {} ms", app.port(), (System.nanoTime() - started) / 1_000_000);
            return new Server(config, db, app, admin, scheduler, publisher, keys, closeables, checkIns, rollouts,
                    eventRetention, fleet, fleetEvents);
        } catch (RuntimeException e) {
            scheduler.shutdownNow();
            closeAll(closeables);
            artifacts.close();
            db.close();
            throw e;
        }
    }

    /** Drops a device from this server's idle check-in cache once an event it reported is stored (it may end its assignment). */
    private static FleetListener idleCacheUpdates(CheckIns checkIns) {
        return new FleetListener() {
            @Override
            public void deviceEventStored(DeviceEvent event) {
                checkIns.changed(event.deviceId());
            }
        };
    }

    /**
     * Devices the idle check-in cache holds at most: an entry takes about 250 bytes, the cache at most a
     * quarter of the heap (a million devices with {@code -Xmx1g}).
     */
    private static int idleCacheDevices() {
        return (int) Math.min(5_000_000, Runtime.getRuntime().maxMemory() / 4 / 256);
    }

    /**
     * On PostgreSQL, a wake-up goes out one cache lease ({@code lease}) after the commit that asked for it, so that
     * the check-in it prompts finds the new assignment on whichever server it reaches (see CheckIns#settle).
     */
    private static java.util.function.Consumer<String> wakeUpAfterSettle(MqttWakeUps wakeUps,
                                                                         ScheduledExecutorService scheduler,
                                                                         boolean postgres, java.time.Duration lease) {
        if (!postgres) {
            return wakeUps;
        }
        return id -> scheduler.schedule(() -> wakeUps.accept(id), lease.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The value of a finished step, or what it threw. */
    private static <T> T result(CompletableFuture<T> step) {
        try {
            return step.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error r) {
                throw r;
            }
            throw e;
        }
    }

    private static void configure(JavalinConfig cfg, ServerConfig config) {
        cfg.concurrency.useVirtualThreads = true;
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.http.maxRequestSize = config.maxRequestBytes();
        cfg.jetty.modifyServer(s -> s.setStopTimeout(5_000));
        if (config.tlsCert() != null) {
            cfg.jetty.addConnector((server, http) -> TlsConnector.create(server, http, config.host(), config.port(),
                    config.tlsCert(), config.tlsKey()));
        } else {
            cfg.jetty.addConnector((server, http) -> Connectors.plain(server, http, config.host(), config.port()));
        }
        ErrorMapping.install(cfg.routes);
        RequestBodies.install(cfg.routes);
        ServerTiming.install(cfg.routes, "/ui", "/ui/*", "/livez");
    }

    private static byte[] resource(String name) {
        try (InputStream in = Server.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** The base URL, on loopback when bound to all addresses. */
    public URI uri() {
        String host = config.host().equals("0.0.0.0") ? "127.0.0.1" : config.host();
        return URI.create((config.tlsCert() != null ? "https://" : "http://") + host + ":" + port());
    }

    public ServerConfig config() {
        return config;
    }

    /** The database, for in-process tools such as the check-in benchmark. */
    public Jdbi jdbi() {
        return database.jdbi();
    }

    /** The timestamp refresher (also run every minute by the server itself). */
    public Publisher publisher() {
        return publisher;
    }

    /** The rollouts (their evaluator also runs every few seconds on the server's scheduler). */
    public Rollouts rollouts() {
        return rollouts;
    }

    /** Device check-ins (and the cache that answers idle ones). */
    public CheckIns checkIns() {
        return checkIns;
    }

    /** The server's event stream: add a {@link FleetListener} to hear what its services did, after each commit. */
    public FleetEvents events() {
        return events;
    }

    /** The fleet overview the dashboard and the fleet gauges read. */
    public FleetOverview fleet() {
        return fleet;
    }

    /** The device event retention job (also run every 5 minutes by the server itself). */
    public EventRetention eventRetention() {
        return eventRetention;
    }

    /** The online keys (snapshot, timestamp, director). */
    public OnlineKeys onlineKeys() {
        return onlineKeys;
    }

    /** The admin token created by this start, present only on the very first start of a database. */
    public Optional<String> initialAdminToken() {
        return initialAdminToken;
    }

    /** The idle timeout of each connector, in milliseconds. */
    List<Long> idleTimeoutsMillis() {
        return java.util.Arrays.stream(app.jettyServer().server().getConnectors())
                .map(c -> c.getIdleTimeout()).toList();
    }

    /** Every registered HTTP route as {@code "METHOD path"} (for the API document check); not before/after hooks. */
    public List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(p -> p.endpoint.method.isHttpMethod())
                .map(p -> p.endpoint.method.name() + " " + p.endpoint.path)
                .toList();
    }

    /** Stops accepting requests, lets running ones finish (up to 5 s), then closes the database. */
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return; // already stopped (a shutdown hook and a try-with-resources may both ask)
        }
        scheduler.shutdown(); // periodic jobs end; wake-ups already scheduled still go out (up to 2 s)
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler.shutdownNow();
        closeAll(closeables);
        try {
            app.stop();
        } finally {
            try {
                checkIns.flushLastSeen();
            } catch (RuntimeException e) {
                LOG.warn("writing lastSeenAt on stop failed", e);
            }
            database.close();
        }
    }

    private static void closeAll(List<AutoCloseable> list) {
        for (AutoCloseable c : list) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.toString());
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
