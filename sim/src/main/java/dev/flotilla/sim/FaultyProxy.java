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
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy on loopback in front of the server that breaks downloads: it follows the HTTP/1.1 responses on
 * each connection (status line and {@code Content-Length}) and breaks a share of the responses whose body
 * is at least {@code minBody} bytes (image downloads; check-ins and metadata are smaller) at a point drawn
 * inside the body, by a reset (RST: linger 0, then close) or a truncation (an orderly close, FIN). The draws
 * come from one seeded {@link Random}, in the order the responses pass. A connection whose framing it cannot
 * follow (chunked) is carried unbroken from there on.
 */
final class FaultyProxy implements AutoCloseable {
    private static final Pattern CONTENT_LENGTH = Pattern.compile("\r\ncontent-length:\\s*(\\d+)");
    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final double rate;
    private final long minBody;
    private final Random random;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger downloads = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();

    /**
     * @param rate the share of large responses to break (0 to 1)
     * @param minBody the smallest body that counts as a download
     */
    FaultyProxy(URI server, double rate, long minBody, long seed) throws IOException {
        this.upstream = new InetSocketAddress(server.getHost(), server.getPort());
        this.rate = rate;
        this.minBody = minBody;
        this.random = new Random(seed);
        this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
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

    /** Responses that counted as downloads so far. */
    int downloads() {
        return downloads.get();
    }

    /** Downloads broken so far. */
    int broken() {
        return broken.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> carry(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void carry(Socket client) {
        try (client; Socket server = new Socket()) {
            server.connect(upstream, 5_000);
            Thread up = Thread.ofVirtual().start(() -> pump(client, server));
            Responses responses = new Responses();
            if (responses.carry(server.getInputStream(), client.getOutputStream())) {
                broken.incrementAndGet();
                if (responses.reset) {
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

    /** Follows the responses of one connection from the server and breaks the chosen ones. */
    private final class Responses {
        private final ByteArrayOutputStream head = new ByteArrayOutputStream();
        private long bodyLeft;
        private long cutIn = -1;
        private boolean framed = true;
        boolean reset;

        /** Carries responses until end of stream (false) or a break (true). */
        boolean carry(InputStream in, OutputStream out) throws IOException {
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                int off = 0;
                while (off < n) {
                    int used = step(buf, off, n - off);
                    if (used < 0) {
                        out.write(buf, 0, -used - 1);
                        out.flush();
                        return true;
                    }
                    off += used;
                }
                out.write(buf, 0, n);
                out.flush();
            }
            return false;
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
            cutIn = -1;
            if (bodyLeft >= minBody) {
                downloads.incrementAndGet();
                synchronized (random) {
                    if (random.nextDouble() < rate) {
                        cutIn = 1 + (long) (random.nextDouble() * (bodyLeft - 2));
                        reset = random.nextBoolean();
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
