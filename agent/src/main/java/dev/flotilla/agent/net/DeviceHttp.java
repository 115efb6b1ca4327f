package dev.flotilla.agent.net;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import javax.net.ssl.SSLContext;

/**
 * The agent's port to the server's device API: one request out, its answer read into memory. A device uses
 * {@link #direct}, the JDK's {@code HttpURLConnection} (blocking, no thread of its own, a fraction of the
 * classes and memory of the JDK's {@code HttpClient}); the simulator's thousands of boards share one
 * {@code HttpClient} through {@link #over}. Both bound every answer the same way: its headers must come within
 * the request's timeout, and its body must end within as much again and may not be longer than its cap, or the
 * request fails (the body with {@link Refused}) and its connection is dropped, so that no server, broken or
 * compromised, can hold the agent forever or make it buffer until its heap runs out.
 */
public interface DeviceHttp {

    /**
     * Sends {@code request} and reads its answer (any status). When the connection closes before any byte of the
     * answer came (a kept-alive connection the server dropped while it was idle, just as the request went out),
     * the request is sent once more on a fresh connection, and no other failure is repeated. The server did not
     * answer that request, so the repeat is the first answer the device gets, and every request of the device API
     * is safe to repeat after all: check-ins and challenges change nothing a repeat could double, events carry ids
     * the server deduplicates, a token exchange repeated finds its challenge used and the login starts over, and
     * an enrollment repeated is refused and then found by proving the key ({@link DeviceIdentity}).
     *
     * @throws Refused the answer's body did not end in time or was longer than the cap
     * @throws IOException the server could not be reached, or the connection broke
     */
    Answer send(Request request) throws IOException;

    /**
     * One request.
     *
     * @param body           sent as is (with a {@code Content-Length}), or null for none
     * @param timeout        for the answer's headers, and as much again for its body
     * @param maxAnswerBytes the longest answer body read
     */
    record Request(String method, URI uri, Map<String, String> headers, byte[] body, Duration timeout,
                   long maxAnswerBytes) {
    }

    /** An answer: its status, its {@code ETag} header if any, and its whole body (empty when it had none). */
    record Answer(URI uri, int status, Optional<String> etag, byte[] body) {
    }

    /** An answer's body was refused; the message says why ("is longer than ...", "did not end within ..."). */
    final class Refused extends IOException {
        Refused(String why) {
            super(why);
        }

        static Refused longerThan(long max) {
            return new Refused("is longer than " + max + " bytes");
        }

        static Refused notEndedWithin(Duration timeout) {
            return new Refused("did not end within " + timeout.toSeconds() + " s");
        }
    }

    /**
     * A device's own connections, over the JDK's {@code HttpURLConnection}; HTTPS servers are checked against
     * {@code tls}'s CAs, or the JDK's default trust store when null (made only when an HTTPS server is reached).
     */
    static DeviceHttp direct(SSLContext tls) {
        return new DirectHttp(tls);
    }

    /** Requests through {@code client}, which many agents in one JVM can share (and whoever made it closes). */
    static DeviceHttp over(HttpClient client) {
        return new SharedClientHttp(client);
    }

    /**
     * An {@code HttpClient} for {@link #over}, running its tasks on threads from {@code threads}: one client (one
     * selector thread) that the agents of a simulated fleet share. HTTPS servers are checked against {@code tls}'s
     * CAs, or the JDK's default context when null.
     */
    static HttpClient sharedClient(SSLContext tls, ThreadFactory threads) {
        return SharedClientHttp.client(tls, threads);
    }
}
