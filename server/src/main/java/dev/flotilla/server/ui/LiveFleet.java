package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.devices.CheckIns;
import dev.flotilla.server.devices.FleetOverview;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Live fleet counts for the overview: {@code GET /ui/fleet/live} is a server-sent event stream that sends the
 * overview's fleet block (event {@code fleet}, HTML) at once and then whenever it changed, checking every
 * {@link #EVERY}, with a comment line at each check (it keeps the connection open through proxies and shows
 * within one check that the browser went away). It ends when
 * the session ends (event {@code ended}: the page goes to the sign-in page), when the client goes away, or
 * after {@link #LONGEST} (the browser's EventSource then connects again); {@link #close} ends them all when the
 * server stops.
 */
final class LiveFleet implements AutoCloseable {
    static final Duration EVERY = Duration.ofSeconds(5);
    static final Duration LONGEST = Duration.ofMinutes(30);

    private final java.util.Set<Thread> streams = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final FleetOverview fleet;
    private final CheckIns checkIns;
    private final View view;

    LiveFleet(FleetOverview fleet, CheckIns checkIns, View view) {
        this.fleet = fleet;
        this.checkIns = checkIns;
        this.view = view;
    }

    void register(Gate gate) {
        gate.page(HandlerType.GET, "/ui/fleet/live", Role.VIEWER, (ctx, visit) -> stream(ctx, gate));
    }

    /** Ends every open stream at once (the server is stopping) and refuses new ones. */
    @Override
    public void close() {
        closed = true;
        streams.forEach(Thread::interrupt);
    }

    private void stream(Context ctx, Gate gate) {
        if (closed) {
            ctx.status(503);
            return;
        }
        streams.add(Thread.currentThread());
        try {
            follow(ctx, gate);
        } catch (InterruptedException e) {
            // the server is stopping
        } finally {
            streams.remove(Thread.currentThread());
        }
    }

    private void follow(Context ctx, Gate gate) throws InterruptedException {
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        String cookie = ctx.cookie(Gate.COOKIE);
        long end = System.nanoTime() + LONGEST.toNanos();
        try {
            OutputStream out = ctx.res().getOutputStream();
            String sent = send(out, null);
            while (sent != null && System.nanoTime() < end) {
                Thread.sleep(EVERY);
                write(out, ":\n\n"); // a comment: fails once the browser (or this server) has gone
                if (!gate.live(cookie)) {
                    write(out, "event: ended\ndata: signed out\n\n");
                    return;
                }
                sent = send(out, sent);
            }
        } catch (IOException e) {
            // the browser went away (page closed or navigated): nothing to do
        }
    }

    /** Sends the fleet block when it differs from {@code sent}; returns what the browser now shows. */
    private String send(OutputStream out, String sent) throws IOException {
        checkIns.flushLastSeen();
        String html = view.fragment("fleet.jte", fleet.summary());
        if (!html.equals(sent)) {
            write(out, "event: fleet\n" + html.lines().map(l -> "data: " + l + "\n").reduce("", String::concat) + "\n");
        }
        return html;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
