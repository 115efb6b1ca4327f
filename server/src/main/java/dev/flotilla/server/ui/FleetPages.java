package dev.flotilla.server.ui;

import dev.flotilla.core.tuf.ExpiryWarnings;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.devices.CheckIns;
import dev.flotilla.server.devices.Device;
import dev.flotilla.server.devices.DeviceDetails;
import dev.flotilla.server.devices.DeviceEvent;
import dev.flotilla.server.devices.DeviceEvents;
import dev.flotilla.server.devices.DeviceFilter;
import dev.flotilla.server.devices.DeviceService;
import dev.flotilla.server.devices.FleetOverview;
import dev.flotilla.server.devices.Presence;
import dev.flotilla.server.events.FleetListener;
import dev.flotilla.server.http.ListOrder;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.QueryParams;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fleet overview ({@code /ui}) with its live counts ({@code /ui/fleet/live}), the device list ({@code /ui/devices}, the API's filters, keyset paging)
 * and a device's page ({@code /ui/devices/{id}}, its state and timeline kept current by {@code /ui/devices/{id}/live}),
 * with decommission and recommission for operators.
 */
final class FleetPages {
    static final int PAGE_SIZE = 50;
    /**
     * The age from which a fleet summary is taken again in the background (while the overview and its live
     * updates keep showing the last one, {@link Revalidated}).
     */
    static final java.time.Duration FRESH = java.time.Duration.ofSeconds(2);
    static final java.time.format.DateTimeFormatter TIME_OF_DAY =
            java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss").withZone(java.time.ZoneOffset.UTC);
    /** How long the filters' choices (versions, hardware, health states) are shared by device lists. */
    static final java.time.Duration FACETS_FRESH = java.time.Duration.ofSeconds(10);

    /** What the overview shows: the fleet summary and when its scan started. */
    public record Overview(FleetOverview.Summary counts, Instant asOf) {
        /** The time of day the counts are as of, in UTC ({@code 13:45:02 UTC}). */
        public String asOfTime() {
            return TIME_OF_DAY.format(asOf) + " UTC";
        }

        /** How often the counts are taken again while the overview is open ({@code 2 seconds}). */
        public String every() {
            return readable(FRESH);
        }
    }

    /** A device list row: the device and whether it is online now. */
    public record Row(Device device, dev.flotilla.server.devices.Listed listed, boolean online) {
    }

    /**
     * The device list: the filter as entered, how many devices match (at most {@link Dashboard#COUNT_UP_TO};
     * {@code more} when more do), the facets to choose from, the rows and the next page.
     */
    public record DeviceList(DeviceFilter filter, String query, long matching, boolean more, List<Row> rows,
                             String nextAfter, boolean firstPage, FleetOverview.Facets facets) {
    }

    /**
     * A device page: its details, timeline (its latest {@link #TIMELINE_EVENTS} events grouped per update,
     * {@link Timeline}), the updates it refused (newest first, {@link DeviceEvents#refusals}), presence, the poll
     * window used, how many days events are kept, and the warning when the metadata the device trusts expires soon
     * or has expired ({@link ExpiryWarnings#forDevice}; null when there is none).
     */
    public record DevicePage(DeviceDetails.Detail detail, Timeline.Grouped timeline, List<DeviceEvent> refusals,
                             boolean online, String window, long retentionDays, String trustWarning) {
    }

    /** How many refused updates a device page lists at most. */
    static final int REFUSALS_SHOWN = 10;
    /** How many of its latest events a device page's timeline shows. */
    static final int TIMELINE_EVENTS = 200;

    private final DeviceService devices;
    private final DeviceDetails details;
    private final DeviceEvents events;
    private final CheckIns checkIns;
    private final FleetOverview fleet;
    private final Revalidated<FleetOverview.Summary> summaries;
    private final Revalidated<FleetOverview.Facets> facets;
    private final View view;
    private final long retentionDays;
    private final Clock clock;

    FleetPages(DeviceService devices, DeviceDetails details, DeviceEvents events, CheckIns checkIns,
               FleetOverview fleet, View view, long retentionDays, Clock clock) {
        this.retentionDays = retentionDays;
        this.clock = clock;
        this.devices = devices;
        this.details = details;
        this.events = events;
        this.checkIns = checkIns;
        this.fleet = fleet;
        this.view = view;
        this.summaries = summaries(fleet, clock, System::nanoTime, Revalidated.virtualThreads("fleet-summary"));
        this.facets = new Revalidated<>("device list's filter choices", FACETS_FRESH, fleet::facets, clock,
                System::nanoTime, Revalidated.virtualThreads("fleet-facets"));
    }

    /**
     * The fleet summary shared by every open overview ({@link Revalidated}): at most one scan at a time whatever
     * the number of pages, none while the last is younger than {@link #FRESH}, and no request waits for one once
     * a summary exists. Each is {@link FleetOverview#summary}, which writes the pending last-seen times first, so
     * that presence is current.
     */
    static Revalidated<FleetOverview.Summary> summaries(FleetOverview fleet, Clock clock,
                                                        java.util.function.LongSupplier nanoTime,
                                                        java.util.concurrent.Executor background) {
        return new Revalidated<>("fleet summary", FRESH, fleet::summary, clock, nanoTime, background);
    }

    /** Starts no more background scans (the server is stopping); one under way is not waited for. */
    void close() {
        summaries.close();
        facets.close();
    }

    /** The device's trust warning at {@code now}, from its manifest's {@code trustedMetadataExpires}; or null. */
    static String trustWarning(DeviceDetails.Detail d, Instant now) {
        String expires = d.manifest().map(m -> m.path("trustedMetadataExpires").asText(null)).orElse(null);
        if (expires == null) {
            return null;
        }
        try {
            return ExpiryWarnings.forDevice(Instant.parse(expires), now).orElse(null);
        } catch (DateTimeParseException e) {
            return null; // shown as the device sent it, without a warning
        }
    }

    void register(Gate gate, LiveStreams live) {
        live.register("/ui/fleet/live", Role.VIEWER, "fleet", (ctx, visit) -> () ->
                view.fragment("fleet.jte", overview()));
        gate.page(HandlerType.GET, "/ui", Role.VIEWER, (ctx, v) -> {
            QueryParams.requireOnly(ctx, List.of());
            view.render(ctx, 200, "overview.jte", v.chrome("Fleet", "overview"), overview());
        });
        gate.page(HandlerType.GET, "/ui/devices", Role.VIEWER, (ctx, v) ->
                view.render(ctx, 200, "devices.jte", v.chrome("Devices", "devices"), list(ctx)));
        live.register("/ui/devices/{deviceId}/live", Role.VIEWER, "device", ctx -> key(ctx.pathParam("deviceId")),
                (ctx, v) -> {
                    String id = details.get(ctx.pathParam("deviceId")).device().id(); // unknown: 404 before the stream
                    return () -> view.fragment("deviceLive.jte", devicePage(id));
                });
        gate.page(HandlerType.GET, "/ui/devices/{deviceId}", Role.VIEWER, (ctx, v) -> {
            DevicePage page = devicePage(ctx.pathParam("deviceId"));
            view.render(ctx, 200, "device.jte", v.chrome("Device " + page.detail().device().id(), "devices"), page);
        });
        gate.page(HandlerType.POST, "/ui/devices/{deviceId}/decommission", Role.OPERATOR, (ctx, v) -> {
            devices.decommission(v.operator().actor(), ctx.pathParam("deviceId"));
            summaries.forget();
            backToDevice(ctx);
        });
        gate.page(HandlerType.POST, "/ui/devices/{deviceId}/recommission", Role.OPERATOR, (ctx, v) -> {
            devices.recommission(v.operator().actor(), ctx.pathParam("deviceId"));
            summaries.forget();
            backToDevice(ctx);
        });
    }

    /**
     * What tells a device page's live block that its device reported an event (stored by this server): its
     * stream checks at once rather than at its next {@link LiveStreams#EVERY}.
     */
    FleetListener changes(LiveStreams live) {
        return new FleetListener() {
            @Override
            public void deviceEventStored(DeviceEvent event) {
                live.changed(key(event.deviceId()));
            }
        };
    }

    /** The key of a device page's live stream ({@link LiveStreams#changed(String)}). */
    private static String key(String deviceId) {
        return "device " + deviceId;
    }

    /**
     * The device's page now; its timeline links an update to a rollout only when the device belongs to it.
     *
     * @throws dev.flotilla.server.errors.DomainError.NotFound for an unknown device
     */
    private DevicePage devicePage(String deviceId) {
        DeviceDetails.Detail d = details.get(deviceId);
        String id = d.device().id();
        Presence presence = checkIns.presence();
        List<DeviceEvent> latest = events.list(id, new Page.Request(0, TIMELINE_EVENTS), ListOrder.DESC).items();
        Timeline.Grouped timeline = Timeline.of(latest, details.memberOf(id, Timeline.assignments(latest)));
        return new DevicePage(d, timeline, events.refusals(id, REFUSALS_SHOWN), presence.online(d.device().lastSeenAt()),
                readable(presence.window()), retentionDays, trustWarning(d, clock.instant()));
    }

    private Overview overview() {
        Revalidated.Taken<FleetOverview.Summary> s = summaries.get();
        return new Overview(s.value(), s.at());
    }

    private DeviceList list(Context ctx) {
        List<String> allowed = new ArrayList<>(List.of(DeviceFilter.NAMES));
        allowed.add("after");
        QueryParams.requireOnly(ctx, allowed);
        DeviceFilter filter = DeviceFilter.from(ctx::queryParam, checkIns.presence(), fleet::baseline);
        String after = ctx.queryParam("after");
        after = after == null || after.isBlank() ? null : after;
        DeviceService.KeysetPage page = devices.listAfter(filter, after, PAGE_SIZE);
        Presence presence = checkIns.presence();
        List<Row> rows = page.items().stream().map(l -> new Row(l.device(), l, presence.online(l.device().lastSeenAt())))
                .toList();
        long matching = devices.countUpTo(filter, Dashboard.COUNT_UP_TO + 1L);
        return new DeviceList(filter, query(ctx), Math.min(matching, Dashboard.COUNT_UP_TO),
                matching > Dashboard.COUNT_UP_TO, rows, page.nextAfter(), after == null, facets.get().value());
    }

    /** The request's filters as a query string without {@code after}, for the next-page link. */
    private static String query(Context ctx) {
        StringBuilder q = new StringBuilder();
        for (String name : DeviceFilter.NAMES) {
            String value = ctx.queryParam(name);
            if (value != null && !value.isBlank()) {
                q.append(q.isEmpty() ? "" : "&").append(name).append('=')
                        .append(java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return q.toString();
    }

    /** A duration as people read it: {@code 12 minutes}, {@code 90 seconds}. */
    static String readable(java.time.Duration d) {
        return d.toSeconds() % 60 == 0 ? d.toMinutes() + (d.toMinutes() == 1 ? " minute" : " minutes")
                : d.toSeconds() + " seconds";
    }

    private static void backToDevice(Context ctx) {
        String to = "/ui/devices/" + java.net.URLEncoder.encode(ctx.pathParam("deviceId"),
                java.nio.charset.StandardCharsets.UTF_8);
        if (ctx.header("HX-Request") != null) {
            ctx.header("HX-Redirect", to);
        } else {
            ctx.redirect(to, HttpStatus.SEE_OTHER);
        }
    }
}
