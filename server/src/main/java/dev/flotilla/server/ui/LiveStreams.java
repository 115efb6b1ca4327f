package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Role;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The dashboard's live blocks: a route of it is a server-sent event stream that sends one block of a page
 * (event NAME, the block as HTML) at once and then whenever it changed, checking every {@link #EVERY} (or
 * sooner, see {@link #changed}), with
 * a comment line at each check (it keeps the connection open through proxies and shows within one check
 * that the browser went away). A stream ends when the session ends (event {@code ended}: the page goes to the
 * sign-in page), when the client goes away, or after {@link #LONGEST} (the browser's EventSource then
 * connects again); {@link #close} ends them all when the server stops. {@link #changed} makes every stream
 * check at once instead of at its next {@link #EVERY} (the dashboard calls it when the event stream tells of a
 * rollout's transition, stage start or halt, {@link RolloutPages#changes}); {@link #changed(String)} does so for
 * the streams registered under that key only (a device's page when that device reported an event,
 * {@link FleetPages#changes}). Routes: {@code /ui/fleet/live} (the overview's counts) and
 * {@code /ui/devices/{id}/live} (a device's state and timeline, keyed by the device), both {@link FleetPages},
 * and {@code /ui/rollouts/{id}/live} ({@link RolloutPages}).
 */
final class LiveStreams implements AutoCloseable {
    static final Duration EVERY = Duration.ofSeconds(5);
    static final Duration LONGEST = Duration.ofMinutes(30);

    /** What a stream sends: the block's HTML now (called once per check). */
    @FunctionalInterface
    interface Block {
        String render() throws Exception;
    }

    /** Makes the block of one request (its path parameters, its visitor) once the stream is open. */
    @FunctionalInterface
    interface Source {
        Block open(Context ctx, Gate.Visit visit);
    }

    /** The open streams of one key and the changes told for it while any was open. */
    private static final class Watch {
        int streams;
        long changes;
    }

    private final Set<Thread> streams = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: streams run on virtual threads
    private final Condition changes = lock.newCondition();
    private long generation;
    private final Map<String, Watch> watched = new HashMap<>(); // keys with an open stream, under lock
    private volatile boolean closed;
    private final Gate gate;

    LiveStreams(Gate gate) {
        this.gate = gate;
    }

    /** Registers a stream at {@code path} for {@code least} or higher; its events are named {@code event}. */
    void register(String path, Role least, String event, Source source) {
        register(path, least, event, ctx -> null, source);
    }

    /**
     * As {@link #register(String, Role, String, Source)}, for a stream that {@link #changed(String)} with the key
     * {@code key} gives its request also makes check at once.
     */
    void register(String path, Role least, String event, Function<Context, String> key, Source source) {
        gate.page(HandlerType.GET, path, least, (ctx, visit) -> {
            Block block = source.open(ctx, visit);
            stream(ctx, event, key.apply(ctx), block);
        });
    }

    /** Makes every open stream check its block now rather than at its next {@link #EVERY}. */
    void changed() {
        lock.lock();
        try {
            generation++;
            changes.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the open streams registered under {@code key} check their block now; nothing when none is open (a
     * stream opened later renders its block at once anyway).
     */
    void changed(String key) {
        lock.lock();
        try {
            Watch w = watched.get(key);
            if (w != null) {
                w.changes++;
                changes.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits {@link #EVERY}, or less when {@link #changed()}, or {@link #changed(String)} with {@code key}, was
     * called since {@code seen}; returns the generation now.
     */
    private long pause(String key, long seen) throws InterruptedException {
        lock.lock();
        try {
            long left = EVERY.toNanos();
            while (generation(key) == seen && left > 0) {
                left = changes.awaitNanos(left);
            }
            return generation(key);
        } finally {
            lock.unlock();
        }
    }

    /** The changes told to a stream of {@code key} (null: none), all of them counted; under the lock. */
    private long generation(String key) {
        Watch w = key == null ? null : watched.get(key);
        return generation + (w == null ? 0 : w.changes);
    }

    /** The generation a stream of {@code key} sees now. */
    private long current(String key) {
        lock.lock();
        try {
            return generation(key);
        } finally {
            lock.unlock();
        }
    }

    /** Counts a stream of {@code key} (null: none) open, or closed when {@code by} is -1. */
    private void watch(String key, int by) {
        if (key == null) {
            return;
        }
        lock.lock();
        try {
            Watch w = watched.computeIfAbsent(key, k -> new Watch());
            w.streams += by;
            if (w.streams == 0) {
                watched.remove(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends every open stream at once (the server is stopping) and refuses new ones. */
    @Override
    public void close() {
        closed = true;
        streams.forEach(Thread::interrupt);
    }

    private void stream(Context ctx, String event, String key, Block block) throws Exception {
        if (closed) {
            ctx.status(503);
            return;
        }
        streams.add(Thread.currentThread());
        watch(key, 1);
        try {
            follow(ctx, event, key, block);
        } catch (InterruptedException e) {
            // the server is stopping
        } finally {
            watch(key, -1);
            streams.remove(Thread.currentThread());
        }
    }

    private void follow(Context ctx, String event, String key, Block block) throws Exception {
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        String cookie = ctx.cookie(Gate.COOKIE);
        long end = System.nanoTime() + LONGEST.toNanos();
        try {
            OutputStream out = ctx.res().getOutputStream();
            long seen = current(key); // before rendering: a change while it renders is not missed
            String sent = send(out, event, block, null);
            while (sent != null && System.nanoTime() < end) {
                seen = pause(key, seen);
                write(out, ":\n\n"); // a comment: fails once the browser (or this server) has gone
                if (!gate.live(cookie)) {
                    write(out, "event: ended\ndata: signed out\n\n");
                    return;
                }
                sent = send(out, event, block, sent);
            }
        } catch (IOException e) {
            // the browser went away (page closed or navigated): nothing to do
        }
    }

    /** Sends the block when it differs from {@code sent}; returns what the browser now shows. */
    private static String send(OutputStream out, String event, Block block, String sent) throws Exception {
        String html = block.render();
        if (!html.equals(sent)) {
            write(out, "event: " + event + "\n" + html.lines().map(l -> "data: " + l + "\n")
                    .collect(java.util.stream.Collectors.joining()) + "\n");
        }
        return html;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
