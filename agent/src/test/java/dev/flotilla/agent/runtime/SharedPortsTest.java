package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.net.ForwardingHttpClient;
import dev.flotilla.agent.net.DeviceHttp;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.time.Sleeper;
import dev.flotilla.core.tuf.TargetFile;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Several agents in one JVM, as the simulator runs them, each on its own board's files, all installing an
 * update from the same server at once through one set of ports: every request of the device API goes
 * through the one shared HTTP client, every thread an agent starts beside a download comes from the shared
 * factory and is virtual, and every wait between check-ins is taken on the given (scaled) sleeper. An agent
 * that built its own HTTP client, started its own threads or slept on the real clock fails it.
 */
class SharedPortsTest extends AgentTestBase {
    private static final int BOARDS = 3;

    @Test
    void agentsInOneJvmInstallThroughOneHttpClientVirtualThreadsAndTheGivenSleeper() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 300_000);
        TargetFile f = repo.add("fw/a.img", image, "board-a", "2.0.0", 1);
        repo.publish();
        RecordingThreads threads = new RecordingThreads();
        ScaledSleeper sleeper = new ScaledSleeper();
        CountingHttpClient http = new CountingHttpClient(DeviceHttp.sharedClient(null, threads));
        AgentPorts ports = new AgentPorts(Clock.systemUTC(), sleeper, threads, DeviceHttp.over(http), new FileDurable(),
                AgentPorts.BootFactory.CONFIGURED);

        List<Path> boards = new ArrayList<>();
        List<Future<Agent.Exit>> runs = new ArrayList<>();
        for (int i = 1; i <= BOARDS; i++) {
            dev = layOut(dir.resolve("board-" + i));
            boards.add(dev);
            AgentConfig c = config("");
            Agent agent = new Agent(c, ports, new UnsignedTestDirector(), log::add, List.of(listener));
            agent.firstStart();
            agent.assemble();
            runs.add(pool.submit(agent::run));
        }
        awaitOrDone(runs.getFirst(), () -> api.checkIns.get() >= 3 * BOARDS); // idle turns: waits on the sleeper
        api.assignment = UnsignedTestDirector.assignment("as-1", "dev-1", "fw/a.img", f, 1, false);
        for (Future<Agent.Exit> run : runs) {
            awaitOrDone(run, () -> false);
            assertThat(run.get()).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        }

        for (Path board : boards) {
            assertThat(Files.readAllBytes(board.resolve("slot-b.img"))).isEqualTo(image);
        }
        // every device API request of every agent went through the one client
        assertThat(api.checkIns.get()).isGreaterThanOrEqualTo(4 * BOARDS);
        assertThat(http.sends.get()).isGreaterThanOrEqualTo(api.checkIns.get() + api.eventPosts.get() + api.logins.get());
        // each download's fsync and read-back threads came from the factory, and are virtual
        List<String> names = threads.started.stream().map(Thread::getName).toList();
        assertThat(names).filteredOn("flotilla-slot-sync"::equals).hasSize(BOARDS);
        assertThat(names).filteredOn("flotilla-readback-b"::equals).hasSize(BOARDS);
        assertThat(threads.started).allMatch(Thread::isVirtual);
        // the pauses between check-ins were the poll interval (1 s, jitter 0.1), taken on the sleeper
        assertThat(sleeper.waits).filteredOn(d -> d.compareTo(Duration.ofMillis(900)) >= 0
                && d.compareTo(Duration.ofMillis(1100)) <= 0).hasSizeGreaterThanOrEqualTo(2 * BOARDS);
    }

    /** Virtual threads, each one kept. */
    private static final class RecordingThreads implements ThreadFactory {
        final List<Thread> started = new CopyOnWriteArrayList<>();
        private final ThreadFactory virtual = Thread.ofVirtual().factory();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = virtual.newThread(r);
            started.add(t);
            return t;
        }
    }

    /** Ten times faster than the real clock, keeping every wait it was asked for. */
    private static final class ScaledSleeper implements Sleeper {
        private static final int SPEED = 10;
        final List<Duration> waits = new CopyOnWriteArrayList<>();

        @Override
        public long nanoTime() {
            return System.nanoTime() * SPEED;
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            waits.add(d);
            Thread.sleep(d.dividedBy(SPEED));
        }

        @Override
        public boolean await(Semaphore signal, Duration d) throws InterruptedException {
            waits.add(d);
            return signal.tryAcquire(d.toNanos() / SPEED, TimeUnit.NANOSECONDS);
        }
    }

    /** An HTTP client that counts the requests sent through it. */
    private static final class CountingHttpClient extends ForwardingHttpClient {
        final AtomicInteger sends = new AtomicInteger();

        CountingHttpClient(HttpClient delegate) {
            super(delegate);
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws IOException, InterruptedException {
            sends.incrementAndGet();
            return delegate.send(request, handler);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                HttpResponse.BodyHandler<T> handler) {
            sends.incrementAndGet();
            return delegate.sendAsync(request, handler);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
            sends.incrementAndGet();
            return delegate.sendAsync(request, handler, push);
        }
    }
}
