package dev.flotilla.agent.config;

import dev.flotilla.core.mqtt.MqttBroker;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

/**
 * The agent's configuration, read by {@link AgentConfigParser} from a JSON file with comments (see
 * {@code example-agent.conf} and docs/device-integration.md). All paths are absolute after parsing.
 *
 * @param server           the update server's base URL
 * @param metadataUrl      TUF metadata base URL (default {@code <server>/tuf/metadata/})
 * @param targetsUrl       artifact base URL (default {@code <server>/tuf/targets/})
 * @param imageMirrors     base URLs with the layout of {@code targetsUrl} ({@code BASE/HASH.NAME}) tried in order
 *                         before it for an image; any host may serve: every byte is checked against the signed
 *                         TUF target (default none)
 * @param stateDir         the agent's state directory (device key, TUF metadata, update state, queue)
 * @param hardwareId       this board's hardware id
 * @param factoryVersion   the version of the image shipped on the device (until the agent installs one)
 * @param trustedRoot      the TUF root shipped with the image
 * @param enrollmentToken  the enrollment token (environment {@code FLOTILLA_ENROLLMENT_TOKEN} wins), may be empty
 * @param slots            the A/B slots
 * @param boot             the boot-control backend
 * @param health           trial-boot health checks
 * @param poll             check-in timing
 * @param mqtt             optional MQTT wake-ups: the broker and the device's login
 * @param rebootCommand    the command that restarts the device
 * @param maintenance      when installing is allowed
 * @param caBundle         a PEM file of the CA certificates that HTTPS servers are checked against instead of
 *                         the JDK's default ones (a private CA), if any
 */
public record AgentConfig(URI server, URI metadataUrl, URI targetsUrl, List<URI> imageMirrors, Path stateDir,
        String hardwareId,
        String factoryVersion, Path trustedRoot, Optional<String> enrollmentToken, SlotsConfig slots,
        BootConfig boot, HealthConfig health, PollConfig poll, Optional<MqttConfig> mqtt,
        List<String> rebootCommand, MaintenanceConfig maintenance, Optional<Path> caBundle) {
    public AgentConfig {
        imageMirrors = List.copyOf(imageMirrors);
    }

    /**
     * MQTT wake-ups.
     *
     * @param broker       {@code tcp://host[:1883]} or {@code ssl://host[:8883]} (TLS, checked against
     *                     {@code caBundle} when one is configured)
     * @param username     the broker account; default the device id (which the broker's ACL expects)
     * @param passwordFile a file whose first line is the account's password, if the broker wants one
     */
    public record MqttConfig(URI broker, Optional<String> username, Optional<Path> passwordFile) {
        /**
         * The broker settings for device {@code deviceId}: the password is read from {@code passwordFile} now.
         *
         * @throws IllegalArgumentException (one line) when the password file cannot be read
         */
        public MqttBroker broker(String deviceId, Optional<Path> caBundle) {
            Optional<String> password = passwordFile.map(MqttConfig::firstLine);
            MqttBroker plain = MqttBroker.anonymous(broker);
            return new MqttBroker(broker, Optional.of(username.orElse(deviceId)), password,
                    plain.tls() ? caBundle : Optional.empty());
        }

        private static String firstLine(Path file) {
            try {
                return Files.readAllLines(file).stream().findFirst().orElse("");
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(file + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
            }
        }
    }

    /** Slot a and b: a block device or a file each; capacity 0 means "the device's size". */
    public record SlotsConfig(Path a, long capacityA, Path b, long capacityB) {
    }

    /** The boot-control backend and its settings. */
    public record BootConfig(Backend backend, Path cmdline, Path stateFile, Path fwEnvConfig, Path grubenv,
            int trialTries) {
        /** The three backends. */
        public enum Backend { SIMULATED, UBOOT, GRUB }
    }

    /** A command with a timeout (health and idle checks). */
    public record Command(List<String> argv, Duration timeout) {
    }

    /**
     * Health checks of a trial boot.
     *
     * @param minimumUptime  uptime to wait for before the first check
     * @param grace          how long failing checks are retried before the update is rolled back (0: no retry;
     *                       default 300 s)
     * @param retryInterval  the pause between retries in the grace period (default 15 s)
     * @param commands       the configured health commands (run after the built-in check)
     * @param postCommit     how long after a commit the checks keep running, one round per check-in (0: not at
     *                       all; default 1800 s)
     */
    public record HealthConfig(Duration minimumUptime, Duration grace, Duration retryInterval, List<Command> commands,
            Duration postCommit) {
    }

    /**
     * Check-in timing.
     *
     * @param interval      the interval when the server names none
     * @param jitter        fraction of the interval added at random (0..1)
     * @param minBackoff    first delay after an error
     * @param maxBackoff    the longest delay after repeated errors
     * @param metadataRefresh how often the agent refreshes its TUF metadata on its own, assignment or not
     */
    public record PollConfig(Duration interval, double jitter, Duration minBackoff, Duration maxBackoff,
            Duration metadataRefresh) {
    }

    /**
     * When an update may be installed (downloads happen any time).
     *
     * @param zone     the time zone the windows are in
     * @param windows  daily windows {@code "HH:MM-HH:MM"} (may cross midnight); empty with no idle check: always
     * @param idleCheck a command whose exit 0 also allows installing, or null
     */
    public record MaintenanceConfig(ZoneId zone, List<String> windows, Command idleCheck) {
    }

    /** The device key file. */
    public Path deviceKey() {
        return stateDir.resolve("device.pem");
    }

    /** The trusted TUF metadata directory. */
    public Path metadataDir() {
        return stateDir.resolve("metadata");
    }
}
