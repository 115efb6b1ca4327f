package dev.flotilla.cli.bench;

import dev.flotilla.sim.ProcessMemory;
import com.sun.net.httpserver.HttpServer;
import dev.flotilla.agent.boot.EnvBootControl;
import dev.flotilla.agent.counter.AntiRollbackCounter;
import dev.flotilla.agent.install.RangeDownload;
import dev.flotilla.agent.slots.Slot;
import dev.flotilla.agent.slots.Slots;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.agent.update.HealthChecks;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.ReportQueue;
import dev.flotilla.agent.update.StateStore;
import dev.flotilla.agent.update.UpdateMachine;
import dev.flotilla.agent.update.UpdateSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The agent's install path on a generated image: the real {@link UpdateMachine} from assignment to armed
 * trial (ranged HTTP download over loopback into the inactive slot file with fsync every 16 MiB, read back
 * and SHA-256), against the ceiling measured in the same run: the slowest of HTTP to nowhere, the JDK's
 * SHA-256 over the same bytes, and {@code dd conv=fsync} of the image to the same directory. Run it with
 * {@code java -Xmx32m}: the heap cap applies to the agent and this process's loopback file server alike.
 */
@Command(name = "agent-install", mixinStandardHelpOptions = true,
        description = "Agent download+verify+write throughput against min(HTTP, SHA-256, dd conv=fsync).")
public final class AgentInstallBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--size", defaultValue = "1g", description = "Image size, e.g. 256m or 1g (default ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--checkpoint-mib", defaultValue = "16",
            description = "Download checkpoint (fsync + persisted offset) every N MiB, as the agent does (default ${DEFAULT-VALUE}).")
    int checkpointMiB;

    @Option(names = "--dir", description = "Directory on the disk to measure (default: a temporary directory).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        long bytes = size(spec.commandLine(), size);
        Path work = dir == null ? Files.createTempDirectory("flotilla-bench-agent") : Files.createDirectories(dir);
        Path image = work.resolve("image.bin");
        String sha = InstallCeiling.generate(image, bytes);
        HttpServer server = InstallCeiling.serve(image);
        try {
            URI url = InstallCeiling.url(server, image);
            InstallCeiling c = InstallCeiling.measure(image, bytes, url, work);
            double http = c.httpMiBps();
            double hash = c.sha256MiBps();
            double dd = c.ddFsyncMiBps();
            Map<ReasonCode, Long> phases = new EnumMap<>(ReasonCode.class);
            long started = System.nanoTime();
            double agent = InstallCeiling.throughput(bytes, () -> install(work, url, bytes, sha, (long) checkpointMiB << 20, phases));
            double ceiling = c.min();
            System.out.printf("{\"bytes\": %d, \"maxHeapMiB\": %d, \"agentMiBps\": %.1f, \"httpMiBps\": %.1f, "
                    + "\"sha256MiBps\": %.1f, \"ddFsyncMiBps\": %.1f, \"ceilingMiBps\": %.1f, \"ratio\": %.3f, "
                    + "\"peakRssMiB\": %d, \"checkpointMiB\": %d, \"downloadedAtS\": %.2f, \"verifiedAtS\": %.2f, "
                    + "\"armedAtS\": %.2f}%n", bytes, Runtime.getRuntime().maxMemory() >> 20, agent, http, hash, dd,
                    ceiling, agent / ceiling, peakRssKiB() >> 10, checkpointMiB, seconds(phases, ReasonCode.DOWNLOADED, started),
                    seconds(phases, ReasonCode.VERIFIED, started), seconds(phases, ReasonCode.TRIAL_ARMED, started));
        } finally {
            server.stop(0);
            Files.deleteIfExists(image);
            for (String f : List.of("slot-a.img", "slot-b.img")) {
                Files.deleteIfExists(work.resolve(f));
            }
        }
        return 0;
    }

    private static double seconds(Map<ReasonCode, Long> phases, ReasonCode reason, long started) {
        Long at = phases.get(reason);
        return at == null ? -1 : (at - started) / 1e9;
    }

    /**
     * The real machine from IDLE to the armed trial: download into slot b, fsync, read back, hash, arm.
     * {@code phases} gets the time each event was reported (the machine reports after every step).
     */
    private static void install(Path work, URI url, long bytes, String sha, long checkpoint, Map<ReasonCode, Long> phases)
            throws Exception {
        Path state = Files.createTempDirectory(work, "agent-state");
        FileDurable durable = new FileDurable();
        Files.writeString(state.resolve("cmdline"), "flotilla.slot=a\n");
        Files.deleteIfExists(work.resolve("slot-b.img"));
        AtomicBoolean rebooted = new AtomicBoolean();
        EnvBootControl boot = EnvBootControl.simulated(state.resolve("bootenv"), state.resolve("cmdline"), durable,
                () -> rebooted.set(true));
        Slots slots = new Slots(new Slot("a", work.resolve("slot-a.img"), 0), new Slot("b", work.resolve("slot-b.img"), 0),
                boot, durable, Slots.DEFAULT_CHUNK);
        Assignment a = new Assignment("bench", "image.bin", "2.0.0", bytes, sha, 0);
        UpdateSource source = new UpdateSource() {
            private boolean given;

            @Override
            public Optional<Assignment> poll() {
                boolean first = !given;
                given = true;
                return first ? Optional.of(a) : Optional.empty();
            }

            @Override
            public InputStream open(Assignment x, long offset) {
                return new RangeDownload(url, offset, x.length(), 8, Duration.ofSeconds(1), Duration.ofSeconds(30));
            }
        };
        UpdateMachine machine = new UpdateMachine(new UpdateMachine.Device(slots, boot,
                new AntiRollbackCounter(state.resolve("counter"), durable),
                new HealthChecks(List.of(), Duration.ZERO, () -> 0, ms -> { })),
                new StateStore(state.resolve("state.json"), durable), new ReportQueue(state.resolve("events"), durable),
                source, e -> {
                    phases.putIfAbsent(e.reason(), System.nanoTime());
                    return new dev.flotilla.agent.update.Reporter.Delivery.Acknowledged();
                }, new UpdateMachine.Settings(3, 5, checkpoint, 100));
        try {
            machine.run();
        } finally {
            try (var files = Files.walk(state)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        if (!rebooted.get()) {
            throw new IllegalStateException("the install did not reach the reboot");
        }
    }

    /** {@link #parseSize} of {@code --size} of {@code command}: a bad size is picocli's one-line usage error. */
    static long size(CommandLine command, String s) {
        try {
            return parseSize(s);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(command, e.getMessage());
        }
    }

    static long parseSize(String s) {
        String t = s.trim().toLowerCase();
        long unit = t.endsWith("g") ? 1L << 30 : t.endsWith("m") ? 1L << 20 : t.endsWith("k") ? 1L << 10 : 1;
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(digits) * unit;
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--size must look like 512m or 1g, not '" + s + "'");
        }
    }

    private static long peakRssKiB() {
        return ProcessMemory.self().map(ProcessMemory::hwmKiB).orElse(-1L);
    }
}
