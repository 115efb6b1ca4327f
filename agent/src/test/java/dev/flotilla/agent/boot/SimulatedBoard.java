package dev.flotilla.agent.boot;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.net.DeviceHttp;
import dev.flotilla.agent.runtime.AgentPorts;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.time.Sleeper;
import dev.flotilla.core.json.CanonicalJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import javax.net.ssl.SSLContext;

/**
 * A simulated board's files in one folder, the one layout every simulation builds on: two file slots
 * ({@code slot-a.img}, {@code slot-b.img}), the U-Boot-style boot environment ({@code bootenv}) that the
 * {@link SimulatedBootloader} and the agent's simulated boot control share, the kernel command line
 * ({@code cmdline}), the trusted root ({@code root.json}), the agent's configuration ({@code agent.conf}) and
 * its state directory ({@code state}).
 */
public final class SimulatedBoard {
    private static final String BOOT_ENV = "bootenv";
    private static final String CMDLINE = "cmdline";
    private static final String ROOT = "root.json";
    private final Path dir;

    private SimulatedBoard(Path dir) {
        this.dir = dir;
    }

    /** The board laid out in {@code dir} before. */
    public static SimulatedBoard at(Path dir) {
        return new SimulatedBoard(dir);
    }

    /**
     * Lays out a factory-fresh board in {@code dir}: slot A holds {@code factoryImage}, slot B is empty (a
     * slot is never created by the agent), the boot environment boots A with no trial armed, and the kernel
     * command line says A runs.
     */
    public static SimulatedBoard layOut(Path dir, byte[] factoryImage) throws IOException {
        SimulatedBoard board = new SimulatedBoard(Files.createDirectories(dir));
        Files.write(board.slot("a"), factoryImage);
        Files.write(board.slot("b"), new byte[0]);
        board.env().set(Map.of(TrialState.BOOT_SLOT, "a", TrialState.UPGRADE_AVAILABLE, "0",
                TrialState.BOOTCOUNT, "0", TrialState.BOOTLIMIT, "3"));
        Files.writeString(board.cmdline(), "flotilla.slot=a\n", StandardCharsets.UTF_8);
        return board;
    }

    /** As {@link #layOut(Path, byte[])}, slot A holding a good test image of {@code version}, {@code bytes} long. */
    public static SimulatedBoard layOut(Path dir, String version, int bytes) throws IOException {
        return layOut(dir, TestImage.create(TestImage.Behaviour.BOOT_OK, version, bytes));
    }

    public Path dir() {
        return dir;
    }

    /** The file of slot {@code name} ({@code a} or {@code b}). */
    public Path slot(String name) {
        return dir.resolve(slotName(name));
    }

    private static String slotName(String name) {
        BootControl.other(name); // a or b, nothing else
        return "slot-" + name + ".img";
    }

    /** Slot name to slot file, for both slots. */
    public Map<String, Path> slots() {
        return Map.of("a", slot("a"), "b", slot("b"));
    }

    public Path bootEnvFile() {
        return dir.resolve(BOOT_ENV);
    }

    public Path cmdline() {
        return dir.resolve(CMDLINE);
    }

    public Path trustedRoot() {
        return dir.resolve(ROOT);
    }

    public Path configFile() {
        return dir.resolve("agent.conf");
    }

    /** The boot environment as the bootloader changes it (its writes are not power-cut). */
    public SimulatedEnv env() {
        return new SimulatedEnv(bootEnvFile(), new FileDurable());
    }

    /** The board's bootloader, on its slots, environment and kernel command line. */
    public SimulatedBootloader bootloader() {
        return new SimulatedBootloader(env(), slots(), cmdline());
    }

    /** The agent's simulated boot control on this board, changing the environment through {@code durable}. */
    public EnvBootControl bootControl(Durable durable, EnvBootControl.Rebooter rebooter) {
        return EnvBootControl.simulated(bootEnvFile(), cmdline(), durable, rebooter);
    }

    /**
     * The board's part of an agent configuration: the server and enrollment, its identity, the state
     * directory, the trusted root, the slots and the simulated boot control (a new image is booted on trial
     * {@code trialTries} times), and a reboot command that does nothing (the harness reboots the board).
     * The caller adds what its test needs (health, poll, ...) and {@link #writeConfig writes} it.
     */
    public ObjectNode config(URI server, String enrollmentToken, String hardwareId, String factoryVersion,
                             int trialTries) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("server", server.toString());
        c.put("stateDir", "state");
        c.put("trustedRoot", ROOT);
        c.put("hardwareId", hardwareId);
        c.put("factoryVersion", factoryVersion);
        c.put("enrollmentToken", enrollmentToken);
        c.putObject("slots").put("a", slotName("a")).put("b", slotName("b"));
        c.putObject("bootControl").put("backend", "simulated").put("stateFile", BOOT_ENV).put("cmdline", CMDLINE)
                .put("trialTries", trialTries);
        c.putArray("rebootCommand").add("true");
        return c;
    }

    /** Writes {@code config} as the board's {@code agent.conf}; returns its path. */
    public Path writeConfig(ObjectNode config) throws IOException {
        return Files.write(configFile(), CanonicalJson.pretty(config));
    }

    /**
     * Ports that boards can share: {@code clock}, real sleeps, virtual threads, {@code client} for their device
     * API requests ({@link DeviceHttp#over}; whoever made it closes it), files, and the boot control each board's
     * configuration names.
     */
    public static AgentPorts sharedPorts(Clock clock, HttpClient client) {
        ThreadFactory threads = Thread.ofVirtual().name("sim-agent-", 0).factory();
        return new AgentPorts(clock, Sleeper.SYSTEM, threads, DeviceHttp.over(client), new FileDurable(),
                AgentPorts.BootFactory.CONFIGURED);
    }

    /** An HTTP client for {@link #sharedPorts}, on virtual threads, trusting {@code tls}'s CAs (null: the JDK's). */
    public static HttpClient sharedClient(SSLContext tls) {
        return DeviceHttp.sharedClient(tls, Thread.ofVirtual().name("sim-http-", 0).factory());
    }
}
