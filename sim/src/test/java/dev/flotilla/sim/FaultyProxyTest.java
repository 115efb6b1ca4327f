package dev.flotilla.sim;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FaultyProxy} in front of a real HTTP server on loopback, each request on a connection of its own (a raw
 * socket, so that what the proxy did is seen byte for byte): each fault happens at about its rate, as the proxy
 * counts it and as the client sees it, and with no fault every answer arrives whole.
 */
class FaultyProxyTest {
    private static final int BIG = 8 * 1024;
    private static final int MIN_BODY = 1024;
    private static final byte[] BIG_BODY = body(BIG);
    private static final byte[] SMALL_BODY = body(16);

    /** What the client got. */
    enum Outcome { WHOLE, DROPPED, TRUNCATED, RESET }

    private record Answer(Outcome outcome, long nanos) {
    }

    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] b = exchange.getRequestURI().getPath().equals("/big") ? BIG_BODY : SMALL_BODY;
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void withNoFaultEveryAnswerArrivesWhole() throws Exception {
        try (FaultyProxy proxy = proxy(Faults.NONE, 0, 1)) {
            for (int i = 0; i < 100; i++) {
                assertThat(get(proxy, i % 2 == 0 ? "/big" : "/small").outcome()).isEqualTo(Outcome.WHOLE);
            }
            assertThat(proxy.responses()).isEqualTo(100);
            assertThat(proxy.downloads()).as("only the large answers are downloads").isEqualTo(50);
            for (FaultyProxy.Kind k : FaultyProxy.Kind.values()) {
                assertThat(proxy.injected(k)).as(k.name()).isZero();
            }
        }
    }

    /**
     * 400 downloads at 10% each: about 40 drops and 40 delays, and of the 360 not dropped about 36 resets and 36
     * truncations. The bounds are far from 0, so a fault that never happens fails; what the client saw matches
     * what the proxy counted.
     */
    @Test
    void eachFaultHappensAtAboutItsRate() throws Exception {
        long delay = 10;
        try (FaultyProxy proxy = proxy(new Faults(0.1, 0.1, 0.1, 0.1, 100), delay, 7)) {
            Map<Outcome, Integer> seen = new EnumMap<>(Outcome.class);
            int slow = 0;
            for (int i = 0; i < 400; i++) {
                Answer a = get(proxy, "/big");
                seen.merge(a.outcome(), 1, Integer::sum);
                slow += a.nanos() >= delay * 1_000_000 ? 1 : 0;
            }
            assertThat(proxy.responses()).isEqualTo(400);
            assertThat(proxy.downloads()).as("the answers not dropped")
                    .isEqualTo(400 - proxy.injected(FaultyProxy.Kind.DROP));
            assertThat(proxy.injected(FaultyProxy.Kind.DROP)).isBetween(20, 60)
                    .isEqualTo(seen.getOrDefault(Outcome.DROPPED, 0));
            assertThat(proxy.injected(FaultyProxy.Kind.RESET)).isBetween(18, 56)
                    .isEqualTo(seen.getOrDefault(Outcome.RESET, 0));
            assertThat(proxy.injected(FaultyProxy.Kind.TRUNCATE)).isBetween(18, 56)
                    .isEqualTo(seen.getOrDefault(Outcome.TRUNCATED, 0));
            assertThat(proxy.injected(FaultyProxy.Kind.DELAY)).isBetween(20, 60);
            assertThat(slow).as("every delayed answer took at least the delay")
                    .isGreaterThanOrEqualTo(proxy.injected(FaultyProxy.Kind.DELAY));
            assertThat(proxy.broken()).isEqualTo(proxy.injected(FaultyProxy.Kind.RESET)
                    + proxy.injected(FaultyProxy.Kind.TRUNCATE));
        }
    }

    @Test
    void theSameSeedInjectsTheSameFaultsInTheSameOrder() throws Exception {
        Faults faults = new Faults(0.15, 0.15, 0.15, 0, 100);
        List<Outcome> first = outcomes(faults, 60);
        assertThat(first).contains(Outcome.WHOLE, Outcome.DROPPED, Outcome.RESET, Outcome.TRUNCATED);
        assertThat(outcomes(faults, 60)).isEqualTo(first);
    }

    @Test
    void aDelayedAnswerArrivesWholeAfterTheDelay() throws Exception {
        long delay = 300;
        try (FaultyProxy proxy = proxy(new Faults(0, 0, 0, 1, 3_000), delay, 1)) {
            for (String path : List.of("/small", "/big", "/small")) {
                Answer a = get(proxy, path);
                assertThat(a.outcome()).isEqualTo(Outcome.WHOLE);
                assertThat(a.nanos()).as("held at least the delay").isGreaterThanOrEqualTo(delay * 1_000_000);
            }
            assertThat(proxy.injected(FaultyProxy.Kind.DELAY)).isEqualTo(3);
        }
    }

    private List<Outcome> outcomes(Faults faults, int requests) throws Exception {
        try (FaultyProxy proxy = proxy(faults, 0, 42)) {
            List<Outcome> out = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                out.add(get(proxy, "/big").outcome());
            }
            return out;
        }
    }

    /**
     * An accept that fails while the proxy is open (as with too many open files in the simulator's process) costs
     * that connection attempt, not the proxy: it goes on accepting, and counts the failures.
     */
    @Test
    void aFailedAcceptDoesNotStopTheProxy() throws Exception {
        java.net.InetAddress loopback = java.net.InetAddress.getLoopbackAddress();
        java.net.ServerSocket failingTwice = new java.net.ServerSocket(0, 50, loopback) {
            private int failures = 2;

            @Override
            public Socket accept() throws IOException {
                if (failures-- > 0) {
                    throw new IOException("Too many open files");
                }
                return super.accept();
            }
        };
        URI upstream = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        try (FaultyProxy proxy = new FaultyProxy(upstream, Faults.NONE, 0, MIN_BODY, 1, failingTwice)) {
            for (int i = 0; i < 3; i++) {
                assertThat(get(proxy, "/big").outcome()).isEqualTo(Outcome.WHOLE);
            }
            assertThat(proxy.acceptFailures()).isEqualTo(2);
            assertThat(proxy.acceptFailure()).isEqualTo("Too many open files");
            assertThat(proxy.connections()).isEqualTo(3);
        }
    }

    private FaultyProxy proxy(Faults faults, long delayMillis, long seed) throws IOException {
        URI upstream = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new FaultyProxy(upstream, faults, delayMillis, MIN_BODY, seed);
    }

    /** One GET on a connection of its own, read to its end. */
    private static Answer get(FaultyProxy proxy, String path) throws IOException {
        long start = System.nanoTime();
        try (Socket s = new Socket(proxy.uri().getHost(), proxy.uri().getPort())) {
            s.setSoTimeout(10_000); // a proxy that stopped accepting leaves the request unanswered
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                s.getInputStream().transferTo(got);
            } catch (SocketException e) {
                return new Answer(Outcome.RESET, System.nanoTime() - start);
            }
            return new Answer(outcome(got.toByteArray(), path.equals("/big") ? BIG_BODY : SMALL_BODY),
                    System.nanoTime() - start);
        }
    }

    private static Outcome outcome(byte[] got, byte[] expected) {
        if (got.length == 0) {
            return Outcome.DROPPED;
        }
        String text = new String(got, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        assertThat(headEnd).as("a whole head").isPositive();
        assertThat(text).startsWith("HTTP/1.1 200");
        byte[] body = Arrays.copyOfRange(got, headEnd + 4, got.length);
        assertThat(body.length).isLessThanOrEqualTo(expected.length);
        assertThat(body).as("the bytes that came are the server's").isEqualTo(Arrays.copyOf(expected, body.length));
        return body.length == expected.length ? Outcome.WHOLE : Outcome.TRUNCATED;
    }

    private static byte[] body(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }
}
