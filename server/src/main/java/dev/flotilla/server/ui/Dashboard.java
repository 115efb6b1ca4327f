package dev.flotilla.server.ui;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.devices.CheckIns;
import dev.flotilla.server.devices.DeviceDetails;
import dev.flotilla.server.devices.DeviceEvents;
import dev.flotilla.server.devices.DeviceService;
import dev.flotilla.server.devices.FleetOverview;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.rollouts.Rollouts;
import dev.flotilla.server.tokens.TokenService;
import io.javalin.config.RoutesConfig;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;

/**
 * The operator dashboard under {@code /ui} on the server's own port: server-rendered pages (JTE) that call
 * the same services as the management API, with htmx for partial updates. See docs/server.md, "Dashboard".
 */
public final class Dashboard {
    /** The device list counts its matches up to this many, then shows this number followed by "+". */
    public static final int COUNT_UP_TO = 1000;

    /** The services the dashboard reads and acts through. */
    public record Services(TokenService tokens, DeviceService devices, DeviceEvents events, CheckIns checkIns,
                           FleetOverview fleet, DeviceDetails details, ReleaseDetails releases, Jdbi jdbi,
                           AuditLog audit, Rollouts rollouts, java.time.Duration eventsRetention, FleetEvents fleetEvents) {
    }

    private Dashboard() {
    }

    /**
     * Registers the dashboard's routes; sessions live in this server's memory ({@link Sessions}). Close what it
     * returns before stopping the server: it ends the open live streams and starts no more background scans of the
     * fleet.
     */
    public static AutoCloseable register(RoutesConfig routes, Services s, Clock clock) {
        View view = new View();
        Sessions sessions = new Sessions(clock);
        Gate gate = new Gate(routes, sessions, s.tokens(), view);
        Assets.register(gate);
        new SignIn(sessions, s.tokens(), view).register(gate);
        LiveStreams live = new LiveStreams(gate);
        FleetPages fleet = new FleetPages(s.devices(), s.details(), s.events(), s.checkIns(), s.fleet(), view,
                s.eventsRetention().toDays(), clock);
        fleet.register(gate, live);
        s.fleetEvents().listen(fleet.changes(live));
        RolloutPages rollouts = new RolloutPages(s.rollouts(), s.releases(), view);
        rollouts.register(gate, live);
        s.fleetEvents().listen(rollouts.changes(live));
        new RecordPages(s.releases(), s.rollouts(), s.jdbi(), s.audit(), view).register(gate);
        // last, so that it answers only what no page above matched
        gate.page(io.javalin.http.HandlerType.GET, "/ui/<rest>", dev.flotilla.server.auth.Role.VIEWER, (ctx, v) -> {
            throw dev.flotilla.server.http.ApiException.notFound("page " + ctx.path());
        });
        return () -> {
            fleet.close();
            live.close();
        };
    }
}
