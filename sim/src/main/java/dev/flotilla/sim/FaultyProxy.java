package dev.flotilla.sim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy on loopback in front of the server that injects {@link Faults}. It follows the HTTP/1.1 responses
 * of each connection (status line and {@code Content-Length}). At the first byte of each response it draws
 * whether to drop it (the connection closed, FIN, before any byte of the answer: the request reached the server,
 * its answer never comes) or to delay it (held back before its first byte for a wall time the caller gives); a
 * response not dropped whose body is at least {@code minBody} bytes (an image download;
 * check-ins and metadata are smaller) is then drawn for a break at a point drawn inside the body: a reset (RST:
 * linger 0, then close) or a truncation (an orderly close, FIN). The draws come from one seeded {@link Random},
 * in the order the responses pass. A connection whose framing it cannot follow (chunked) is carried unbroken
 * from there on. It counts each fault it actually injected.
 */
final class FaultyProxy implements AutoCloseable {
    /** A fault the proxy injects. */
    enum Kind { DROP, DELAY, RESET, TRUNCATE }

    /** How long the proxy waits after a failed accept before the next. */
    private static final long ACCEPT_RETRY_MILLIS = 50;
    private static final Pattern CONTENT_LENGTH = Pattern.compile("\r\ncontent-length:\\s*(\\d+)");
    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Faults faults;
    private final long delayMillis;
    private final long minBody;
    private final Random random;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger responses = new AtomicInteger();
    private final AtomicInteger downloads = new AtomicInteger();
    private final Map<Kind, AtomicInteger> injected = new EnumMap<>(Kind.class);
    private final AtomicInteger acceptFailures = new AtomicInteger();
    private volatile String acceptFailure;

    /**
     * @param faults the rates of each fault
     * @param delayMillis the wall time a delayed answer is held
     * @param minBody the smallest body that counts as a download
     */
    FaultyProxy(URI server, Faults faults, long delayMillis, long minBody, long seed) throws IOException {
        this(server, faults, delayMillis, minBody, seed, new ServerSocket(0, 200, InetAddress.getLoopbackAddress()));
    }

    /** A proxy that accepts on {@code listener} (bound to a loopback port). */
    FaultyProxy(URI server, Faults faults, long delayMillis, long minBody, long seed, ServerSocket listener) {
        this.upstream = new InetSocketAddress(server.getHost(), server.getPort());
        this.faults = faults;
        this.delayMillis = delayMillis;
        this.minBody = minBody;
        this.random = new Random(seed);
        for (Kind k : Kind.values()) {
            injected.put(k, new AtomicInteger());
        }
        this.listener = listener;
        Thread.ofVirtual().name("faulty-proxy").start(this::accept);
    }

    /** The URI devices use instead of the server's. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Connections carried so far. */
    int connections() {
        return connections.get();
    }

    /** Responses whose first byte reached the proxy so far (each drawn for a drop or a delay). */
    int responses() {
        return responses.get();
    }

    /** Responses not dropped that counted as downloads so far (each drawn for a reset or a truncation). */
    int downloads() {
        return downloads.get();
    }

    /** How many times the proxy injected {@code kind} so far. */
    int injected(Kind kind) {
        return injected.get(kind).get();
    }

    /** Downloads broken mid-body so far (reset or truncated). */
    int broken() {
        return injected(Kind.RESET) + injected(Kind.TRUNCATE);
    }

    /**
     * Times an accept failed while the proxy was open ("Too many open files": the simulator's process holds each
     * board's socket and both of the proxy's for every connection it carries), and the last failure's message.
     * The proxy goes on accepting: a proxy that stopped would leave every board that opens a new connection
     * waiting for its connect to time out, and roll back boards whose trial cannot reach the server.
     */
    int acceptFailures() {
        return acceptFailures.get();
    }

    /** The message of the last accept that failed while the proxy was open, or null. */
    String acceptFailure() {
        return acceptFailure;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> carry(client));
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
                acceptFailures.incrementAndGet();
                acceptFailure = String.valueOf(e.getMessage());
                pause(); // connections that end meanwhile free what the accept lacked
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(ACCEPT_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void carry(Socket client) {
        try (client; Socket server = new Socket()) {
            server.connect(upstream, 5_000);
            Thread up = Thread.ofVirtual().start(() -> pump(client, server));
            Kind cut = new Responses(client.getOutputStream()).carry(server.getInputStream());
            if (cut != null) {
                injected.get(cut).incrementAndGet();
                if (cut == Kind.RESET) {
                    client.setSoLinger(true, 0);
                }
            }
            client.close();
            server.close();
            up.join();
        } catch (IOException | InterruptedException e) {
            // the connection is gone either way
        }
    }

    /** Copies {@code from} to {@code to} until end of stream. */
    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // the other side closed
        }
    }

    /** Follows the responses of one connection from the server and injects the faults drawn for them. */
    private final class Responses {
        private final OutputStream out;
        private final ByteArrayOutputStream head = new ByteArrayOutputStream();
        private long bodyLeft;
        private long cutIn = -1;
        private boolean framed = true;
        /** Whether the current response's first byte was seen (and its drop or delay drawn). */
        private boolean begun;
        /** The break drawn for the current download, or null. */
        private Kind cut;

        Responses(OutputStream out) {
            this.out = out;
        }

        /** Carries responses until end of stream (null) or an injected break (its kind). */
        Kind carry(InputStream in) throws IOException, InterruptedException {
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                int off = 0;
                int sent = 0;
                while (off < n) {
                    if (framed && bodyLeft == 0 && !begun) {
                        begun = true;
                        Kind k = drawAnswer();
                        send(buf, sent, off);
                        sent = off;
                        if (k == Kind.DROP) {
                            return k;
                        } else if (k == Kind.DELAY) {
                            injected.get(k).incrementAndGet();
                            Thread.sleep(delayMillis);
                        }
                    }
                    int used = step(buf, off, n - off);
                    if (used < 0) {
                        send(buf, sent, -used - 1);
                        return cut;
                    }
                    off += used;
                }
                send(buf, sent, n);
            }
            return null;
        }

        private void send(byte[] buf, int from, int to) throws IOException {
            if (to > from) {
                out.write(buf, from, to - from);
                out.flush();
            }
        }

        /** At a response's first byte: a drop, a delay, or nothing (null). */
        private Kind drawAnswer() {
            responses.incrementAndGet();
            if (faults.drop() == 0 && faults.delay() == 0) {
                return null;
            }
            synchronized (random) {
                double u = random.nextDouble();
                return u < faults.drop() ? Kind.DROP : u < faults.drop() + faults.delay() ? Kind.DELAY : null;
            }
        }

        /** Looks at {@code len} bytes; how many it used, or -(bytes to send before the break) - 1. */
        private int step(byte[] b, int off, int len) {
            if (!framed) {
                return len;
            }
            if (bodyLeft > 0) {
                int used = (int) Math.min(len, bodyLeft);
                if (cutIn >= 0 && cutIn < used) {
                    return -(off + (int) cutIn) - 1;
                }
                bodyLeft -= used;
                cutIn = cutIn >= 0 ? cutIn - used : -1;
                return used;
            }
            for (int i = 0; i < len; i++) {
                head.write(b[off + i]);
                if (headEnds()) {
                    startBody(head.toString(StandardCharsets.ISO_8859_1));
                    head.reset();
                    return i + 1;
                }
            }
            return len;
        }

        private boolean headEnds() {
            byte[] h = head.toByteArray();
            int k = h.length;
            return k >= 4 && h[k - 4] == '\r' && h[k - 3] == '\n' && h[k - 2] == '\r' && h[k - 1] == '\n';
        }

        private void startBody(String head) {
            String lower = head.toLowerCase(Locale.ROOT);
            int status = Integer.parseInt(head.substring(9, 12));
            Matcher m = CONTENT_LENGTH.matcher(lower);
            if (status < 200 || status == 204 || status == 304) {
                bodyLeft = 0;
            } else if (m.find() && !lower.contains("transfer-encoding")) {
                bodyLeft = Long.parseLong(m.group(1));
            } else {
                framed = false; // chunked or until close: carry the rest as it is
                return;
            }
            begun = false;
            cutIn = -1;
            cut = null;
            if (bodyLeft >= minBody) {
                downloads.incrementAndGet();
                synchronized (random) {
                    double u = random.nextDouble();
                    cut = u < faults.reset() ? Kind.RESET
                            : u < faults.reset() + faults.truncate() ? Kind.TRUNCATE : null;
                    if (cut != null) {
                        cutIn = 1 + (long) (random.nextDouble() * (bodyLeft - 2));
                    }
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
