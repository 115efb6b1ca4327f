package dev.flotilla.agent.install;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A static file server on loopback (JDK HttpServer) for a TUF repository directory: {@code /tuf/metadata/X}
 * serves {@code dir/X}, {@code /tuf/targets/X} serves {@code dir/targets/X}, with {@code Range: bytes=N-}
 * support and knobs for misbehaving: cut every response after some bytes, ignore Range, append junk,
 * answer a range that starts elsewhere.
 */
public final class RepoHttpServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");
    private final HttpServer server;
    private final Path dir;
    /** Bytes sent per target response before the connection is dropped (0: no cut). */
    public volatile long cutAfter;
    /** How many target responses are cut (then behave). */
    public final AtomicInteger cutsLeft = new AtomicInteger(Integer.MAX_VALUE);
    public volatile boolean ignoreRange;
    public volatile int junkBytes;
    public volatile boolean wrongRangeStart;
    /** When above 0, targets are sent one byte every this many milliseconds (a slow-retrieval attack). */
    public volatile long dripMillis;
    /** When set, a target request without {@code Authorization: Bearer} this token gets 401 (as the update server). */
    public volatile String requiredBearer;
    /** Authorization headers seen on target requests ("" when none). */
    public final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** A metadata file name answered with an endless body (up to 1 GiB), or null. */
    public volatile String endlessMetadata;
    /** How many endless answers were started. */
    public final AtomicInteger endlessAnswers = new AtomicInteger();
    /** Range headers seen on target requests ("" when none). */
    public final List<String> ranges = new CopyOnWriteArrayList<>();
    /** When set, every target request gets this status and no body (a failing mirror). */
    public volatile int failWith;

    public RepoHttpServer(Path dir) throws IOException {
        this.dir = dir;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/tuf/metadata/", ex -> {
            if (rel(ex, "/tuf/metadata/").equals(endlessMetadata)) {
                endless(ex);
            } else {
                serve(ex, dir.resolve(rel(ex, "/tuf/metadata/")), false);
            }
        });
        server.createContext("/tuf/targets/", ex -> serve(ex, dir.resolve("targets").resolve(rel(ex, "/tuf/targets/")), true));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public URI metadataUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tuf/metadata/");
    }

    public URI targetsUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tuf/targets/");
    }

    private static String rel(HttpExchange ex, String prefix) {
        return ex.getRequestURI().getPath().substring(prefix.length());
    }

    private void serve(HttpExchange ex, Path file, boolean target) throws IOException {
        try (ex) {
            if (target) {
                String r = ex.getRequestHeaders().getFirst("Range");
                ranges.add(r == null ? "" : r);
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                authorizations.add(auth == null ? "" : auth);
                if (failWith != 0) {
                    ex.sendResponseHeaders(failWith, -1);
                    return;
                }
                if (requiredBearer != null && !("Bearer " + requiredBearer).equals(auth)) {
                    ex.sendResponseHeaders(401, -1);
                    return;
                }
            }
            if (!file.normalize().startsWith(dir) || !Files.isRegularFile(file)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] all = Files.readAllBytes(file);
            int start = 0;
            String range = ex.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            boolean partial = m != null && m.matches() && !ignoreRange;
            if (partial) {
                start = (int) Math.min(Long.parseLong(m.group(1)), all.length);
                int shown = wrongRangeStart ? Math.max(0, start - 1) : start;
                ex.getResponseHeaders().add("Content-Range", "bytes " + shown + "-" + (all.length - 1) + "/" + all.length);
            }
            long body = all.length - start + (target ? junkBytes : 0);
            boolean cut = target && cutAfter > 0 && cutsLeft.getAndDecrement() > 0;
            ex.sendResponseHeaders(partial ? 206 : 200, body);
            OutputStream out = ex.getResponseBody();
            long limit = cut ? Math.min(cutAfter, all.length - start) : all.length - start;
            if (target && dripMillis > 0) {
                for (int i = start; i < start + limit; i++) {
                    out.write(all[i]);
                    out.flush();
                    try {
                        Thread.sleep(dripMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                }
                return;
            }
            out.write(all, start, (int) limit);
            if (cut && limit < all.length - start) {
                out.flush();
                throw new IOException("cut");
            }
            if (target && junkBytes > 0) {
                out.write(new byte[junkBytes]);
            }
        } catch (IOException e) {
            // the cut: closing without finishing the declared length makes the client see a broken stream
        }
    }

    private void endless(HttpExchange ex) {
        endlessAnswers.incrementAndGet();
        try (ex) {
            ex.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[65536];
            java.util.Arrays.fill(chunk, (byte) ' ');
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < 16384; i++) {
                out.write(chunk);
            }
        } catch (IOException e) {
            // the client stopped reading: expected
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
