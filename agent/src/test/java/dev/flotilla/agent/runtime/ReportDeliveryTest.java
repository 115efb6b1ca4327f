package dev.flotilla.agent.runtime;

import dev.flotilla.agent.net.DeviceHttp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.net.DeviceIdentity;
import dev.flotilla.agent.net.EventReporter;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.update.AgentListener;
import dev.flotilla.agent.update.Event;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.ReportQueue;
import dev.flotilla.agent.update.Reporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The report queue ({@link ReportQueue}) through {@link EventReporter} over loopback HTTP against a device
 * API that answers chosen statuses: what is dropped, what is kept, in which order events arrive
 * (docs/decisions/0001-report-queue-rejections.md).
 */
class ReportDeliveryTest {
    @TempDir
    Path dir;
    FakeDeviceApi api;
    EventReporter reporter;
    final AtomicLong nanos = new AtomicLong();
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<String> drops = new CopyOnWriteArrayList<>();
    final AgentListener listener = new AgentListener() {
        @Override
        public void reportDropped(Event e, Reporter.Delivery.Rejected r, long droppedSoFar) {
            drops.add(e.eventId() + " " + r.status() + " " + r.code() + " #" + droppedSoFar);
        }
    };

    @BeforeEach
    void start() throws Exception {
        api = new FakeDeviceApi();
        ServerClient client = new ServerClient(api.uri(), DeviceHttp.direct(null));
        new DeviceIdentity(dir.resolve("device"), new FileDurable()).ensureEnrolled(client, Optional.of("flt_test"),
                "board-a");
        reporter = new EventReporter(client);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    /** A queue on the device's event directory (a new one is what a restarted agent builds). */
    private ReportQueue queue() throws Exception {
        return new ReportQueue(dir.resolve("device/state/events"), new FileDurable(),
                AgentListener.all(List.of(new LoggingListener(log::add), listener)),
                new ReportQueue.Retry(Duration.ofSeconds(1), Duration.ofSeconds(8)), nanos::get);
    }

    private static Event event(long seq, String state, ReasonCode reason) {
        return new Event("ev-" + seq, seq, state, reason, "", "as-1", "2.0.0", 0, 100);
    }

    private static void enqueueFive(ReportQueue q) throws Exception {
        q.enqueue(event(1, "DOWNLOADING", ReasonCode.ASSIGNMENT_RECEIVED));
        q.enqueue(event(2, "VERIFYING", ReasonCode.DOWNLOADED));
        q.enqueue(event(3, "INSTALLING", ReasonCode.VERIFIED));
        q.enqueue(event(4, "INSTALLED", ReasonCode.TRIAL_ARMED));
        q.enqueue(event(5, "REBOOTING", ReasonCode.REBOOT_REQUESTED));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {400, 404, 413, 422})
    void aPermanentlyRejectedEventIsDroppedCountedAndLoggedAndLaterEventsStillArriveInOrder(int status)
            throws Exception {
        ReportQueue q = queue();
        enqueueFive(q);
        api.rejectEvents.put("ev-2", status);

        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(4, 1, false));
        assertThat(api.eventOrder).containsExactly("ev-1", "ev-3", "ev-4", "ev-5");
        assertThat(q.pending()).isEmpty();
        assertThat(drops).containsExactly("ev-2 " + status + " invalid_request #1");
        assertThat(log).filteredOn(l -> l.startsWith("WARN: report ev-2 (type downloaded, state VERIFYING) dropped"))
                .singleElement().asString().contains(status + " invalid_request: unknown event type")
                .endsWith("1 report(s) dropped in all");

        // the count is durable: a restarted agent's queue still knows it, and adds to it
        ReportQueue restarted = queue();
        assertThat(restarted.dropped()).isEqualTo(1);
        restarted.enqueue(event(6, "TRIAL", ReasonCode.BOOTED_NEW_SLOT));
        api.rejectEvents.put("ev-6", status);
        assertThat(restarted.flush(reporter)).isEqualTo(new ReportQueue.Flushed(0, 1, false));
        assertThat(restarted.dropped()).isEqualTo(2);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {503, 500, 429, 408})
    void aTransientErrorDropsNothingBacksOffAndTheQueueSurvivesARestartInOrder(int status) throws Exception {
        ReportQueue q = queue();
        enqueueFive(q);
        api.eventsStatus = status;
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(q.pending()).extracting(Event::eventId).containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5");
        int posts = api.eventPosts.get();

        api.eventsStatus = 0;
        assertThat(q.flush(reporter)).as("inside the backoff nothing is sent").isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(api.eventPosts.get()).isEqualTo(posts);
        api.eventsStatus = status;
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(q.flush(reporter).deferred()).isTrue();
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(q.flush(reporter)).as("the second delay is doubled").isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(api.eventPosts.get()).isEqualTo(posts + 1);

        api.eventsStatus = 0;
        ReportQueue restarted = queue(); // the agent restarts: a new queue on the same files, no backoff
        assertThat(restarted.flush(reporter)).isEqualTo(new ReportQueue.Flushed(5, 0, false));
        assertThat(api.eventOrder).containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5");
        assertThat(restarted.dropped()).isZero();
        assertThat(drops).isEmpty();
    }

    @Test
    void deliverAllTriesEvenInsideTheBackoffAndSaysWhetherTheQueueIsEmpty() throws Exception {
        ReportQueue q = queue();
        assertThat(q.deliverAll(reporter)).as("nothing queued").isTrue();
        enqueueFive(q);
        api.eventsStatus = 503;
        assertThat(q.flush(reporter).deferred()).isTrue();
        int posts = api.eventPosts.get();
        assertThat(q.deliverAll(reporter)).isFalse();
        assertThat(api.eventPosts.get()).as("tried inside the backoff").isEqualTo(posts + 1);
        api.eventsStatus = 0;
        assertThat(q.flush(reporter).deferred()).as("flush still waits for the backoff").isTrue();
        assertThat(q.deliverAll(reporter)).isTrue();
        assertThat(api.eventOrder).containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5");
        assertThat(q.pending()).isEmpty();
    }

    @Test
    void aForbiddenAnswerLogsInAgainAndRetries() throws Exception {
        ReportQueue q = queue();
        q.enqueue(event(1, "DOWNLOADING", ReasonCode.ASSIGNMENT_RECEIVED));
        q.flush(reporter);
        int logins = api.logins.get();
        q.enqueue(event(2, "VERIFYING", ReasonCode.DOWNLOADED));
        api.forbidEvents.set(1);
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(1, 0, false));
        assertThat(api.logins.get()).isEqualTo(logins + 1);
        assertThat(api.eventOrder).containsExactly("ev-1", "ev-2");
    }

    @Test
    void aRefusedLoginNeverDropsAnEvent() throws Exception {
        ReportQueue q = queue();
        q.enqueue(event(1, "DOWNLOADING", ReasonCode.ASSIGNMENT_RECEIVED));
        q.flush(reporter);
        q.enqueue(event(2, "VERIFYING", ReasonCode.DOWNLOADED));
        api.forbidEvents.set(1);
        api.challengeStatus = 404; // the new login after the 403 finds the device unknown
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(q.pending()).extracting(Event::eventId).containsExactly("ev-2");

        api.challengeStatus = 0;
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(1, 0, false));
        assertThat(api.eventOrder).containsExactly("ev-1", "ev-2");
        assertThat(drops).isEmpty();
    }

    @Test
    void aDecommissionedDeviceStopsSendingAndKeepsItsQueue() throws Exception {
        ReportQueue q = queue();
        enqueueFive(q);
        api.decommissioned = true;
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(reporter.decommissioned()).isTrue();
        int posts = api.eventPosts.get();
        nanos.addAndGet(Duration.ofMinutes(10).toNanos());
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(api.eventPosts.get()).as("no more requests").isEqualTo(posts);
        assertThat(q.pending()).hasSize(5);
        assertThat(drops).isEmpty();
    }

    @Test
    void aRecommissionedDeviceSendsItsQueueAgainWithoutARestart() throws Exception {
        ReportQueue q = queue();
        enqueueFive(q);
        api.decommissioned = true;
        assertThat(q.flush(reporter).deferred()).isTrue();
        assertThat(reporter.decommissioned()).isTrue();

        api.decommissioned = false; // an operator re-commissioned it
        nanos.addAndGet(Duration.ofMinutes(10).toNanos());
        assertThat(q.flush(reporter)).isEqualTo(new ReportQueue.Flushed(5, 0, false));
        assertThat(reporter.decommissioned()).isFalse();
        assertThat(api.eventOrder).containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5");
    }
}
