package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.Server;
import dev.flotilla.server.devices.BulkRegistration;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Devices for the benchmarks (and the CLI's tests of them): registered in bulk in an in-process server
 * ({@link BulkRegistration}: logged in, with a stored signed manifest that says they run {@code fw-1.0.bin},
 * version 1.0.0), then driven over real HTTP on loopback: check-ins with their manifest and ETag, and event
 * reports. Device {@code i} is {@code dev_bench_i}.
 */
public final class BenchFleet {
    private final URI base;
    private final HttpClient http;
    private final String[] ids;
    private final String[] tokens;
    private final byte[][] envelopes;
    private final String[] etags;
    private final AtomicLong eventIds = new AtomicLong();

    private BenchFleet(URI base, HttpClient http, int n) {
        this.base = base;
        this.http = http;
        ids = new String[n];
        tokens = new String[n];
        envelopes = new byte[n][];
        etags = new String[n];
    }

    /**
     * Registers {@code n} devices of {@code hardwareId} in the server's database, each with its own key pair and
     * signed manifest. {@code progress} is told the steps done out of {@code 2 n}: keys made and signed (up to n,
     * from several threads), then n plus the devices stored.
     */
    public static BenchFleet register(Server server, HttpClient http, int n, String hardwareId, IntConsumer progress) {
        return register(server.jdbi(), server.uri(), http, n, n, hardwareId, progress);
    }

    /**
     * Registers {@code n} devices as {@link #register(Server, HttpClient, int, String, IntConsumer)} does, but only
     * the first {@code keyed} get a key pair and a signed manifest; the others get a distinct random 32-byte
     * Ed25519 public value whose private key nobody has (so a distinct key id, as the schema requires) and an
     * unsigned manifest envelope. Those devices must never check in, enrol or log in (nothing could sign for
     * them); they can be selected, ranked, assigned and report events with their token. Making and signing an
     * Ed25519 key costs about a millisecond of CPU per device, most of the registration of a million.
     */
    public static BenchFleet register(Server server, HttpClient http, int n, int keyed, String hardwareId,
                                      IntConsumer progress) {
        return register(server.jdbi(), server.uri(), http, n, keyed, hardwareId, progress);
    }

    /**
     * Registers {@code n} devices of {@code hardwareId} in the database of {@code jdbi} (the schema of a server
     * that ran against it), to be driven through {@code base}: a server, or a load balancer in front of several.
     */
    public static BenchFleet register(Jdbi jdbi, URI base, HttpClient http, int n, String hardwareId,
                                      IntConsumer progress) {
        return register(jdbi, base, http, n, n, hardwareId, progress);
    }

    private static BenchFleet register(Jdbi jdbi, URI base, HttpClient http, int n, int keyed, String hardwareId,
                                       IntConsumer progress) {
        BenchFleet f = new BenchFleet(base, http, n);
        BulkRegistration.Entry[] entries = new BulkRegistration.Entry[n];
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        IntStream.range(0, n).parallel().forEach(i -> {
            entries[i] = f.make(i, hardwareId, i < keyed);
            int k = made.incrementAndGet();
            if (k % 1000 == 0) {
                progress.accept(k);
            }
        });
        int chunk = 5_000;
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            BulkRegistration.register(jdbi, List.of(entries).subList(from, to), Clock.systemUTC(),
                    Duration.ofHours(12));
            progress.accept(n + to);
        }
        return f;
    }

    private BulkRegistration.Entry make(int i, String hardwareId, boolean keyed) {
        KeyPair pair = keyed ? KeyPairs.generate(KeyType.ED25519) : null;
        Key key = keyed ? Key.of(KeyType.ED25519, pair.getPublic())
                : new Key(KeyType.ED25519.tufKeyType(), KeyType.ED25519.scheme(),
                        Hex.encode(dev.flotilla.server.auth.Secrets.randomBytes(32)), Map.of(), Map.of());
        String id = "dev_bench_" + i;
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("deviceId", id);
        m.put("installedTarget", "fw-1.0.bin");
        m.put("installedVersion", "1.0.0");
        m.putObject("hashes").put("sha256", "00".repeat(32));
        m.put("slot", "a");
        m.put("securityVersion", 1);
        m.put("trustedRootVersion", 1);
        m.put("agentVersion", "bench");
        m.put("bootState", "committed");
        m.put("healthState", "healthy");
        ObjectNode env = JsonNodeFactory.instance.objectNode();
        env.set("signed", m);
        ArrayNode signatures = env.putArray("signatures");
        if (keyed) {
            ObjectNode sig = signatures.addObject();
            sig.put("keyid", key.keyId());
            sig.put("sig", Hex.encode(Signatures.sign(KeyType.ED25519, pair.getPrivate(), CanonicalJson.encode(m))));
        }
        ids[i] = id;
        tokens[i] = "fld_bench" + Hex.encode(dev.flotilla.server.auth.Secrets.randomBytes(24));
        envelopes[i] = CanonicalJson.encode(env);
        return new BulkRegistration.Entry(id, key, hardwareId, tokens[i], envelopes[i]);
    }

    public int size() {
        return ids.length;
    }

    public String id(int i) {
        return ids[i];
    }

    /** Every device id, in index order. */
    public List<String> ids() {
        return List.of(ids);
    }

    /**
     * One check-in of device {@code i} with its manifest and (after the first) its last ETag; returns the
     * status. {@code 304} is the idle answer; any status other than 200 and 304 is an error.
     */
    public int checkIn(int i) throws Exception {
        return checkIn(i, base);
    }

    /**
     * One check-in of device {@code i} as {@link #checkIn(int)} does, sent to {@code server} (one of several
     * servers on the same database).
     */
    public int checkIn(int i, URI server) throws Exception {
        HttpResponse<byte[]> r = checkInExchange(i, server);
        if (r.statusCode() != 200 && r.statusCode() != 304) {
            throw new IllegalStateException("check-in of " + ids[i] + " answered " + r.statusCode());
        }
        return r.statusCode();
    }

    /**
     * One check-in of device {@code i} as {@link #checkIn} sends it, whatever the answer; the ETag of a 200 or
     * 304 is kept for the next.
     */
    public HttpResponse<byte[]> checkInExchange(int i) throws Exception {
        return checkInExchange(i, base);
    }

    private HttpResponse<byte[]> checkInExchange(int i, URI server) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve("/api/v1/device/" + ids[i] + "/checkin"))
                .header("Authorization", "Bearer " + tokens[i]).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(envelopes[i]));
        String etag = etags[i];
        if (etag != null) {
            b.header("If-None-Match", etag);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 200 || r.statusCode() == 304) {
            r.headers().firstValue("ETag").ifPresent(e -> etags[i] = e);
        }
        return r;
    }

    /**
     * Device {@code i} reports events of {@code rolloutId} in one batch, e.g. {@code installed, committed}; a
     * {@code failed} event carries the reason {@code reason}. Returns the event ids, all acknowledged (stored).
     */
    public List<String> report(int i, String rolloutId, String reason, String... types) throws Exception {
        ObjectNode batch = JsonNodeFactory.instance.objectNode();
        ArrayNode events = batch.putArray("events");
        List<String> sent = new ArrayList<>();
        for (String type : types) {
            ObjectNode e = events.addObject();
            sent.add("bench-" + eventIds.incrementAndGet());
            e.put("eventId", sent.getLast());
            e.put("type", type);
            ObjectNode details = e.putObject("details");
            details.put("deploymentId", rolloutId);
            if (reason != null && !type.equals("installed") && !type.equals("committed")) {
                details.put("reason", reason);
            }
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/device/" + ids[i] + "/events"))
                .header("Authorization", "Bearer " + tokens[i]).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(CanonicalJson.encode(batch))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("events of " + ids[i] + " answered " + r.statusCode() + ": " + r.body());
        }
        return sent;
    }

    /**
     * Stores, straight into the database in batches (not over HTTP, and without the server's event listener),
     * the history of an earlier update of every device: {@code perDevice} events each, cycling through
     * {@code download_started, downloaded, verified, installed, rebooting, committed}, received a day ago.
     * {@code progress} is told the devices done. Returns the events stored.
     */
    public long storeHistory(Jdbi jdbi, int perDevice, IntConsumer progress) {
        String[] types = {"download_started", "downloaded", "verified", "installed", "rebooting", "committed"};
        long receivedAt = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
        int chunk = Math.max(1, 10_000 / Math.max(1, perDevice));
        for (int from = 0; from < ids.length; from += chunk) {
            int start = from;
            int to = Math.min(ids.length, from + chunk);
            jdbi.useTransaction(h -> {
                PreparedBatch b = h.prepareBatch("""
                        INSERT INTO device_events (device_id, event_id, event_type, occurred_at, received_at, body_json)
                        VALUES (:d, :id, :type, NULL, :at, :body)""");
                for (int i = start; i < to; i++) {
                    for (int e = 0; e < perDevice; e++) {
                        b.bind("d", ids[i]).bind("id", "history-" + e).bind("type", types[e % types.length])
                                .bind("at", receivedAt + e).bind("body", "{\"deploymentId\":\"bench-earlier\"}").add();
                    }
                }
                if (b.size() > 0) {
                    b.execute();
                }
            });
            progress.accept(to);
        }
        return (long) ids.length * perDevice;
    }

    /** The indexes of the given device ids (ids not of this fleet are left out). */
    public List<Integer> indexes(List<String> deviceIds) {
        List<Integer> out = new ArrayList<>();
        for (String id : deviceIds) {
            if (id.startsWith("dev_bench_")) {
                int i = Integer.parseInt(id.substring("dev_bench_".length()));
                if (i < ids.length) {
                    out.add(i);
                }
            }
        }
        return out;
    }
}
