package dev.flotilla.agent.update;

import dev.flotilla.core.crypto.Digests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * An in-memory update server: offers one assignment while the device does not run its version (at most
 * {@code maxOffers} times), and serves the image bytes, optionally failing mid-stream. Like the server, it
 * offers the same issue (director counter) until the device's reporter received how the assignment ended,
 * and a new issue (the next counter: an operator's retry) after that, unless {@link #counter} is set.
 */
final class FakeSource implements UpdateSource {
    private final Assignment assignment;
    private final byte[] served;
    private final int maxOffers;
    SimDevice device;
    int offers;
    boolean unreachable;
    Random flaky;
    double failureRate;
    final List<Long> openedAt = new ArrayList<>();
    /** When set, every offer carries this counter (a server that keeps serving one issue). */
    Long counter;
    int heartbeats;
    /** When set, every check-in answers with this assignment instead (e.g. a withdrawal). */
    Assignment next;

    FakeSource(byte[] image, String version, long securityVersion, int maxOffers) {
        this(new Assignment("as-" + version, "firmware-" + version + ".img", version, image.length,
                Digests.sha256Hex(image), securityVersion), image, maxOffers);
    }

    FakeSource(Assignment assignment, byte[] served, int maxOffers) {
        this.assignment = assignment;
        this.served = served;
        this.maxOffers = maxOffers;
    }

    Assignment assignment() {
        return assignment;
    }

    boolean wouldOffer() throws IOException {
        return offers < maxOffers && !device.runningVersion().equals(assignment.version());
    }

    @Override
    public Optional<Assignment> poll() throws IOException {
        if (unreachable) {
            throw new IOException("server unreachable");
        }
        if (next != null) {
            return Optional.of(next);
        }
        if (!wouldOffer()) {
            return Optional.empty();
        }
        offers++;
        Assignment a = assignment;
        return Optional.of(new Assignment(a.id(), a.target(), a.version(), a.length(), a.sha256(),
                a.securityVersion(), a.forced(), counter != null ? counter : 1 + concluded(), a.withdrawn(),
                a.downloadOnly(), a.installWindow(), a.soakSeconds()));
    }

    @Override
    public void heartbeat() throws IOException {
        if (unreachable) {
            throw new IOException("server unreachable");
        }
        heartbeats++;
    }

    /** How many reports of the assignment ending (the transition into IDLE) the device's reporter received. */
    private long concluded() {
        return device.reporter.received.stream()
                .filter(e -> e.state().equals("IDLE") && assignment.id().equals(e.assignmentId()))
                .map(Event::eventId).distinct().count();
    }

    @Override
    public InputStream open(Assignment a, long offset) throws IOException {
        openedAt.add(offset);
        if (unreachable) {
            throw new IOException("server unreachable");
        }
        InputStream in = new ByteArrayInputStream(served, (int) offset, served.length - (int) offset);
        if (flaky == null) {
            return in;
        }
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (flaky.nextDouble() < failureRate) {
                    throw new IOException("connection reset (simulated)");
                }
                return in.read(b, off, Math.min(len, 4096));
            }
        };
    }
}
