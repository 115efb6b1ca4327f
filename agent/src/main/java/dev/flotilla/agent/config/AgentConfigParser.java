package dev.flotilla.agent.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.flotilla.agent.config.AgentConfig.BootConfig;
import dev.flotilla.agent.config.AgentConfig.Command;
import dev.flotilla.agent.config.AgentConfig.HealthConfig;
import dev.flotilla.agent.config.AgentConfig.MaintenanceConfig;
import dev.flotilla.agent.config.AgentConfig.PollConfig;
import dev.flotilla.agent.config.AgentConfig.SlotsConfig;
import dev.flotilla.agent.maintenance.DailyWindow;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.mqtt.MqttBroker;
import dev.flotilla.core.tls.CaBundle;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the agent's configuration: JSON with {@code //}, {@code /* *}{@code /} and {@code #} comments.
 * Unknown fields and duplicate keys are errors (a typo must not silently fall back to a default). Relative
 * paths are resolved against the configuration file's directory. Every error is a {@link ConfigException}
 * naming the file and the field, e.g. {@code agent.conf: slots.b: required}.
 */
public final class AgentConfigParser {
    /**
     * The default grace period of the trial-boot health checks: long enough for a cellular modem to
     * re-attach or a server to restart (a few minutes), so a short outage right after the trial boot does not
     * roll back a good update. A bad image stays in its trial that much longer; a crashing one is still
     * caught by the boot counter.
     */
    public static final long DEFAULT_HEALTH_GRACE_SECONDS = 300;
    /** The default pause between health rounds in the grace period (20 rounds in the default grace period). */
    public static final long DEFAULT_HEALTH_RETRY_SECONDS = 15;
    /**
     * The default post-commit period: the health checks keep running (one round per check-in, six at the
     * default poll interval) for half an hour after a commit, to catch an image that degrades after its trial.
     */
    public static final long DEFAULT_HEALTH_POST_COMMIT_SECONDS = 1800;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_YAML_COMMENTS,
                    JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final String file;
    private final Path base;
    private final Map<String, String> env;

    private AgentConfigParser(Path file, Map<String, String> env) {
        this.file = file.toString();
        this.base = file.toAbsolutePath().getParent();
        this.env = env;
    }

    /** Parses {@code file}; {@code env} supplies {@code FLOTILLA_ENROLLMENT_TOKEN}. */
    public static AgentConfig parse(Path file, Map<String, String> env) {
        AgentConfigParser p = new AgentConfigParser(file, env);
        JsonNode root;
        try {
            try (JsonParser parser = JSON.createParser(Files.readAllBytes(file))) {
                root = CanonicalJson.tree(parser);
            }
        } catch (JsonFormatException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage(), e);
        } catch (JsonProcessingException e) {
            // a limit of the reader (nesting depth, number length) is reported without a location
            String line = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new ConfigException(file + ": not valid JSON: " + e.getOriginalMessage() + line, e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + ": must be a JSON object");
        }
        return p.config(root);
    }

    private AgentConfig config(JsonNode n) {
        known(n, "", Set.of("server", "metadataUrl", "targetsUrl", "imageMirrors", "stateDir", "hardwareId", "factoryVersion",
                "trustedRoot", "enrollmentToken", "slots", "bootControl", "health", "poll", "mqtt", "rebootCommand",
                "maintenance", "caBundle"));
        URI server = url(n, "server");
        String s = server.toString().endsWith("/") ? server.toString() : server + "/";
        URI metadata = n.has("metadataUrl") ? url(n, "metadataUrl") : URI.create(s + "tuf/metadata/");
        URI targets = n.has("targetsUrl") ? url(n, "targetsUrl") : URI.create(s + "tuf/targets/");
        Optional<String> token = Optional.ofNullable(env.get("FLOTILLA_ENROLLMENT_TOKEN"))
                .or(() -> optString(n, "enrollmentToken"));
        Optional<AgentConfig.MqttConfig> mqtt = n.has("mqtt") ? Optional.of(mqtt(n)) : Optional.empty();
        return new AgentConfig(server, metadata, targets, mirrors(n), path(n, "stateDir", ""), string(n, "hardwareId", ""),
                optString(n, "factoryVersion").orElse(null), path(n, "trustedRoot", ""), token, slots(n),
                boot(n), health(n), poll(n), mqtt,
                n.has("rebootCommand") ? argv(n.get("rebootCommand"), "rebootCommand") : List.of("systemctl", "reboot"),
                maintenance(n), caBundle(n));
    }

    private AgentConfig.MqttConfig mqtt(JsonNode n) {
        JsonNode m = object(n, "mqtt");
        known(m, "mqtt.", Set.of("broker", "username", "passwordFile"));
        URI broker = url(m, "broker", "mqtt.");
        try {
            MqttBroker.anonymous(broker);
        } catch (IllegalArgumentException e) {
            throw err("mqtt.broker", e.getMessage());
        }
        AgentConfig.MqttConfig c = new AgentConfig.MqttConfig(broker,
                m.has("username") ? Optional.of(string(m, "username", "mqtt.")) : Optional.empty(),
                m.has("passwordFile") ? Optional.of(path(m, "passwordFile", "mqtt.")) : Optional.empty());
        try {
            c.broker("device", Optional.empty()); // reads the password file
        } catch (IllegalArgumentException e) {
            throw err("mqtt.passwordFile", e.getMessage());
        }
        return c;
    }

    /** {@code imageMirrors}: http(s) base URLs, each ending in '/' after parsing (so that names resolve under it). */
    private List<URI> mirrors(JsonNode n) {
        if (!n.has("imageMirrors")) {
            return List.of();
        }
        JsonNode list = n.get("imageMirrors");
        if (!list.isArray()) {
            throw err("imageMirrors", "must be an array of base URLs");
        }
        List<URI> mirrors = new java.util.ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "imageMirrors[" + i + "]";
            if (!list.get(i).isTextual()) {
                throw err(field, "must be a URL string");
            }
            URI u;
            try {
                u = URI.create(list.get(i).asText());
            } catch (IllegalArgumentException e) {
                throw err(field, "not a URL: " + e.getMessage());
            }
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                    || u.getQuery() != null || u.getFragment() != null) {
                throw err(field, "must be an http(s) base URL with a host and no query, not '" + u + "'");
            }
            mirrors.add(u.toString().endsWith("/") ? u : URI.create(u + "/"));
        }
        return mirrors;
    }

    private Optional<Path> caBundle(JsonNode n) {
        if (!n.has("caBundle")) {
            return Optional.empty();
        }
        Path bundle = path(n, "caBundle", "");
        try {
            CaBundle.sslContext(bundle);
        } catch (IllegalArgumentException e) {
            throw err("caBundle", e.getMessage());
        }
        return Optional.of(bundle);
    }

    private SlotsConfig slots(JsonNode n) {
        JsonNode s = object(n, "slots");
        known(s, "slots.", Set.of("a", "b", "capacityA", "capacityB"));
        SlotsConfig c = new SlotsConfig(path(s, "a", "slots."), nonNegative(s, "capacityA", "slots.", 0),
                path(s, "b", "slots."), nonNegative(s, "capacityB", "slots.", 0));
        if (c.a().equals(c.b())) {
            throw err("slots.b", "must differ from slots.a");
        }
        return c;
    }

    private BootConfig boot(JsonNode n) {
        JsonNode b = object(n, "bootControl");
        known(b, "bootControl.", Set.of("backend", "cmdline", "stateFile", "fwEnvConfig", "grubenv", "trialTries"));
        String name = string(b, "backend", "bootControl.");
        BootConfig.Backend backend = switch (name) {
            case "simulated" -> BootConfig.Backend.SIMULATED;
            case "uboot" -> BootConfig.Backend.UBOOT;
            case "grub" -> BootConfig.Backend.GRUB;
            default -> throw err("bootControl.backend", "must be simulated, uboot or grub, not '" + name + "'");
        };
        Path cmdline = b.has("cmdline") ? path(b, "cmdline", "bootControl.") : Path.of("/proc/cmdline");
        Path state = backend == BootConfig.Backend.SIMULATED ? path(b, "stateFile", "bootControl.") : null;
        Path fw = backend == BootConfig.Backend.UBOOT
                ? (b.has("fwEnvConfig") ? path(b, "fwEnvConfig", "bootControl.") : Path.of("/etc/fw_env.config"))
                : null;
        Path grubenv = backend == BootConfig.Backend.GRUB ? path(b, "grubenv", "bootControl.") : null;
        long tries = b.has("trialTries") ? positive(b, "trialTries", "bootControl.") : 3;
        if (tries > Integer.MAX_VALUE) {
            throw err("bootControl.trialTries", "must be at most " + Integer.MAX_VALUE);
        }
        return new BootConfig(backend, cmdline, state, fw, grubenv, (int) tries);
    }

    private HealthConfig health(JsonNode n) {
        if (!n.has("health")) {
            return new HealthConfig(Duration.ZERO, Duration.ofSeconds(DEFAULT_HEALTH_GRACE_SECONDS),
                    Duration.ofSeconds(DEFAULT_HEALTH_RETRY_SECONDS), List.of(),
                    Duration.ofSeconds(DEFAULT_HEALTH_POST_COMMIT_SECONDS));
        }
        JsonNode h = object(n, "health");
        known(h, "health.", Set.of("minimumUptimeSeconds", "graceSeconds", "retryIntervalSeconds", "commands",
                "postCommitSeconds"));
        List<Command> commands = new ArrayList<>();
        if (h.has("commands")) {
            JsonNode list = h.get("commands");
            if (!list.isArray()) {
                throw err("health.commands", "must be an array");
            }
            for (int i = 0; i < list.size(); i++) {
                commands.add(command(list.get(i), "health.commands[" + i + "]"));
            }
        }
        long retry = h.has("retryIntervalSeconds") ? positive(h, "retryIntervalSeconds", "health.")
                : DEFAULT_HEALTH_RETRY_SECONDS;
        return new HealthConfig(Duration.ofSeconds(nonNegative(h, "minimumUptimeSeconds", "health.", 0)),
                Duration.ofSeconds(nonNegative(h, "graceSeconds", "health.", DEFAULT_HEALTH_GRACE_SECONDS)), Duration.ofSeconds(retry), commands,
                Duration.ofSeconds(nonNegative(h, "postCommitSeconds", "health.", DEFAULT_HEALTH_POST_COMMIT_SECONDS)));
    }

    private PollConfig poll(JsonNode n) {
        JsonNode p = n.has("poll") ? object(n, "poll") : JsonNodeFactory.instance.objectNode();
        known(p, "poll.", Set.of("intervalSeconds", "jitter", "minBackoffSeconds", "maxBackoffSeconds",
                "metadataRefreshSeconds"));
        long interval = p.has("intervalSeconds") ? atMostADay(p, "intervalSeconds") : 300;
        double jitter = 0.2;
        if (p.has("jitter")) {
            if (!p.get("jitter").isNumber() || p.get("jitter").asDouble() < 0 || p.get("jitter").asDouble() > 1) {
                throw err("poll.jitter", "must be a number from 0 to 1");
            }
            jitter = p.get("jitter").asDouble();
        }
        long min = p.has("minBackoffSeconds") ? atMostADay(p, "minBackoffSeconds") : 5;
        long max = p.has("maxBackoffSeconds") ? atMostADay(p, "maxBackoffSeconds") : 3600;
        if (max < min) {
            throw err("poll.maxBackoffSeconds", "must not be below poll.minBackoffSeconds");
        }
        long refresh = p.has("metadataRefreshSeconds") ? atMostADay(p, "metadataRefreshSeconds") : 3600;
        return new PollConfig(Duration.ofSeconds(interval), jitter, Duration.ofSeconds(min), Duration.ofSeconds(max),
                Duration.ofSeconds(refresh));
    }

    /** A positive number of seconds under {@code poll.}, at most a day ({@code ServerClient.MAX_POLL_INTERVAL}). */
    private long atMostADay(JsonNode p, String key) {
        long v = positive(p, key, "poll.");
        if (v > ServerClient.MAX_POLL_INTERVAL.toSeconds()) {
            throw err("poll." + key, "must be at most " + ServerClient.MAX_POLL_INTERVAL.toSeconds() + " (24 hours)");
        }
        return v;
    }

    private MaintenanceConfig maintenance(JsonNode n) {
        if (!n.has("maintenance")) {
            return new MaintenanceConfig(ZoneId.of("UTC"), List.of(), null);
        }
        JsonNode m = object(n, "maintenance");
        known(m, "maintenance.", Set.of("timezone", "windows", "idleCheck"));
        ZoneId zone;
        try {
            zone = ZoneId.of(optString(m, "timezone").orElse("UTC"));
        } catch (DateTimeException e) {
            throw err("maintenance.timezone", "unknown time zone: " + e.getMessage());
        }
        List<String> windows = new ArrayList<>();
        if (m.has("windows")) {
            JsonNode w = m.get("windows");
            if (!w.isArray()) {
                throw err("maintenance.windows", "must be an array of \"HH:MM-HH:MM\"");
            }
            for (int i = 0; i < w.size(); i++) {
                String text = w.get(i).asText();
                try {
                    DailyWindow.parse(text);
                } catch (IllegalArgumentException e) {
                    throw err("maintenance.windows[" + i + "]", e.getMessage());
                }
                windows.add(text);
            }
        }
        Command idle = m.has("idleCheck") ? command(m.get("idleCheck"), "maintenance.idleCheck") : null;
        return new MaintenanceConfig(zone, windows, idle);
    }

    private Command command(JsonNode c, String where) {
        if (!c.isObject()) {
            throw err(where, "must be an object {\"command\": [...], \"timeoutSeconds\": N}");
        }
        known(c, where + ".", Set.of("command", "timeoutSeconds"));
        if (!c.has("command")) {
            throw err(where + ".command", "required");
        }
        return new Command(argv(c.get("command"), where + ".command"),
                Duration.ofSeconds(c.has("timeoutSeconds") ? positive(c, "timeoutSeconds", where + ".") : 30));
    }

    private List<String> argv(JsonNode a, String where) {
        if (!a.isArray() || a.isEmpty()) {
            throw err(where, "must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode x : a) {
            if (!x.isTextual()) {
                throw err(where, "must be a non-empty array of strings");
            }
            out.add(x.textValue());
        }
        return List.copyOf(out);
    }

    private void known(JsonNode n, String prefix, Set<String> names) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!names.contains(f)) {
                throw err(prefix + f, "unknown field (known: " + String.join(", ", names.stream().sorted().toList()) + ")");
            }
        }
    }

    private JsonNode object(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null) {
            throw err(field, "required");
        }
        if (!v.isObject()) {
            throw err(field, "must be an object");
        }
        return v;
    }

    private String string(JsonNode n, String field, String prefix) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw err(prefix + field, "required");
        }
        if (!v.isTextual() || v.textValue().isBlank()) {
            throw err(prefix + field, "must be a non-empty string");
        }
        return v.textValue();
    }

    private Optional<String> optString(JsonNode n, String field) {
        return n.has(field) ? Optional.of(string(n, field, "")) : Optional.empty();
    }

    private URI url(JsonNode n, String field) {
        return url(n, field, "");
    }

    private URI url(JsonNode n, String field, String prefix) {
        String text = string(n, field, prefix);
        try {
            URI u = URI.create(text);
            if (u.getScheme() == null || u.getHost() == null) {
                throw err(prefix + field, "must be an absolute URL with a host, not '" + text + "'");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw err(prefix + field, "not a URL: " + e.getMessage());
        }
    }

    private Path path(JsonNode n, String field, String prefix) {
        String text = string(n, field, prefix);
        try {
            return base.resolve(text).normalize();
        } catch (InvalidPathException e) {
            throw err(prefix + field, "not a valid path: " + e.getReason());
        }
    }

    private long positive(JsonNode n, String field, String prefix) {
        JsonNode v = n.get(field);
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
            throw err(prefix + field, "must be a positive integer");
        }
        return v.asLong();
    }

    private long nonNegative(JsonNode n, String field, String prefix, long dflt) {
        JsonNode v = n.get(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0) {
            throw err(prefix + field, "must be an integer >= 0");
        }
        if (!v.canConvertToLong()) {
            throw err(prefix + field, "must be at most " + Long.MAX_VALUE);
        }
        return v.asLong();
    }

    private ConfigException err(String field, String message) {
        return new ConfigException(file + ": " + field + ": " + message);
    }
}
