package dev.flotilla.agent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's device API as far as the agent uses it, on a JDK HttpServer, for what the real server
 * cannot do yet: returning an assignment from check-in. Authentication is accepted as is (the real server's
 * is tested in ServerClientTest); events are kept (de-duplicated by id) for assertions.
 */
final class FakeDeviceApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    volatile JsonNode assignment;
    volatile boolean down;
    volatile boolean garbage;
    volatile long pollSeconds = 1;
    /** Check-ins are answered 200 with a body that never ends (up to 1 GiB, while the client reads). */
    volatile boolean endlessCheckIn;
    final Map<String, JsonNode> events = new ConcurrentHashMap<>();
    final List<String> eventOrder = new CopyOnWriteArrayList<>();
    final List<JsonNode> manifests = new CopyOnWriteArrayList<>();
    final AtomicInteger checkIns = new AtomicInteger();
    /** Event ids answered with this status (and code {@code invalid_request}) instead of being stored. */
    final Map<String, Integer> rejectEvents = new ConcurrentHashMap<>();
    /** When not 0, every events request is answered with this status. */
    volatile int eventsStatus;
    /** How many of the next events requests are answered 403 {@code forbidden}. */
    final AtomicInteger forbidEvents = new AtomicInteger();
    /** Login and events answer 403 {@code device_decommissioned}. */
    volatile boolean decommissioned;
    /** When not 0, the login challenge is answered with this status (code {@code not_found}). */
    volatile int challengeStatus;
    final AtomicInteger logins = new AtomicInteger();
    final AtomicInteger eventPosts = new AtomicInteger();

    FakeDeviceApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v1/device/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (down) {
                send(ex, 503, JSON.createObjectNode().put("code", "unavailable"));
                return;
            }
            if (garbage) {
                byte[] html = "<html>proxy error</html>".getBytes();
                ex.sendResponseHeaders(200, html.length);
                ex.getResponseBody().write(html);
                return;
            }
            String path = ex.getRequestURI().getPath();
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            if (path.endsWith("/enroll")) {
                send(ex, 201, JSON.createObjectNode().put("id", "dev-1").put("status", "active"));
            } else if (decommissioned && (path.endsWith("/challenge") || path.endsWith("/events"))) {
                send(ex, 403, JSON.createObjectNode().put("code", "device_decommissioned"));
            } else if (path.endsWith("/challenge") && challengeStatus != 0) {
                send(ex, challengeStatus, JSON.createObjectNode().put("code", "not_found"));
            } else if (path.endsWith("/challenge")) {
                send(ex, 200, JSON.createObjectNode().put("nonce", "n-" + System.nanoTime()));
            } else if (path.endsWith("/token")) {
                logins.incrementAndGet();
                send(ex, 200, JSON.createObjectNode().put("token", "fld_test"));
            } else if (path.endsWith("/checkin") && endlessCheckIn) {
                checkIns.incrementAndGet();
                endless(ex);
            } else if (path.endsWith("/checkin")) {
                checkIns.incrementAndGet();
                manifests.add(body.path("signed"));
                ObjectNode r = JSON.createObjectNode();
                r.set("assignment", assignment);
                r.put("pollIntervalSeconds", pollSeconds);
                send(ex, 200, r);
            } else if (path.endsWith("/events")) {
                eventPosts.incrementAndGet();
                if (eventsStatus != 0) {
                    send(ex, eventsStatus, JSON.createObjectNode().put("code", "unavailable"));
                    return;
                }
                if (forbidEvents.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    send(ex, 403, JSON.createObjectNode().put("code", "forbidden"));
                    return;
                }
                for (JsonNode e : body.path("events")) {
                    Integer status = rejectEvents.get(e.path("eventId").asText());
                    if (status != null) {
                        send(ex, status, JSON.createObjectNode().put("code", "invalid_request")
                                .put("message", "unknown event type"));
                        return;
                    }
                }
                int accepted = 0;
                int duplicates = 0;
                for (JsonNode e : body.path("events")) {
                    if (events.putIfAbsent(e.path("eventId").asText(), e) == null) {
                        eventOrder.add(e.path("eventId").asText());
                        accepted++;
                    } else {
                        duplicates++;
                    }
                }
                send(ex, 200, JSON.createObjectNode().put("accepted", accepted).put("duplicates", duplicates));
            } else {
                send(ex, 404, JSON.createObjectNode().put("code", "not_found"));
            }
        }
    }

    /** Event types in the order first received. */
    List<String> types() {
        return eventOrder.stream().map(id -> events.get(id).path("type").asText()).toList();
    }

    boolean has(String type) {
        return types().contains(type);
    }

    /** A JSON-looking chunked answer that goes on until the client stops reading (or 1 GiB). */
    private static void endless(HttpExchange ex) {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) ' ');
        try {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write('[');
            for (long sent = 0; sent < (1L << 30); sent += chunk.length) {
                ex.getResponseBody().write(chunk);
            }
        } catch (IOException clientStopped) {
            // what a client that caps the answer does
        }
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
