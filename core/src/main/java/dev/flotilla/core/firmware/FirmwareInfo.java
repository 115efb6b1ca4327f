package dev.flotilla.core.firmware;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.TargetFile;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * The firmware fields Flotilla keeps in a TUF target's {@code custom} object:
 * <pre>{@code
 * "custom": {"hardwareIds": ["board-a"], "version": "1.4.2", "securityVersion": 3,
 *            "minInstalledVersion": "1.4.0"}
 * }</pre>
 * Other fields in {@code custom} are left alone by {@link #writeTo(ObjectNode)}.
 *
 * @param hardwareIds         the hardware ids the image runs on (at least one, no duplicates)
 * @param version             the image's version, see {@link Version} for the syntax and order
 * @param securityVersion     anti-rollback counter (>= 0); a device refuses images below its stored counter
 * @param minInstalledVersion when non-null, the oldest installed version the image may be applied to
 *                            (e.g. a delta's base)
 */
public record FirmwareInfo(List<String> hardwareIds, String version, long securityVersion,
                           String minInstalledVersion) {
    public static final String HARDWARE_IDS = "hardwareIds";
    public static final String VERSION = "version";
    public static final String SECURITY_VERSION = "securityVersion";
    public static final String MIN_INSTALLED_VERSION = "minInstalledVersion";

    /** @throws IllegalArgumentException when a field breaks the rules above */
    public FirmwareInfo {
        hardwareIds = List.copyOf(hardwareIds);
        if (hardwareIds.isEmpty()) {
            throw new IllegalArgumentException("firmware needs at least one hardware id");
        }
        for (String h : hardwareIds) {
            if (h.isBlank()) {
                throw new IllegalArgumentException("hardware ids must not be blank");
            }
        }
        if (new LinkedHashSet<>(hardwareIds).size() != hardwareIds.size()) {
            throw new IllegalArgumentException("duplicate hardware id in " + hardwareIds);
        }
        Version.parse(version);
        if (securityVersion < 0) {
            throw new IllegalArgumentException("securityVersion must be >= 0, got " + securityVersion);
        }
        if (minInstalledVersion != null) {
            Version.parse(minInstalledVersion);
        }
    }

    public FirmwareInfo(List<String> hardwareIds, String version, long securityVersion) {
        this(hardwareIds, version, securityVersion, null);
    }

    public Version parsedVersion() {
        return Version.parse(version);
    }

    public Optional<Version> minInstalled() {
        return Optional.ofNullable(minInstalledVersion).map(Version::parse);
    }

    /** Whether the image lists this hardware id. */
    public boolean supportsHardware(String hardwareId) {
        return hardwareIds.contains(hardwareId);
    }

    /**
     * Reads the firmware fields of a signed target.
     *
     * @throws RepositoryError MALFORMED when a field is missing, mistyped or invalid
     */
    public static FirmwareInfo fromTarget(TargetFile target) {
        return fromCustom(target.custom());
    }

    /**
     * Reads the firmware fields from a {@code custom} object.
     *
     * @throws RepositoryError MALFORMED when a field is missing, mistyped or invalid
     */
    public static FirmwareInfo fromCustom(JsonNode custom) {
        if (custom == null || !custom.isObject()) {
            throw malformed("custom must be an object");
        }
        JsonNode ids = custom.get(HARDWARE_IDS);
        if (ids == null || !ids.isArray()) {
            throw malformed("'" + HARDWARE_IDS + "' must be an array of strings");
        }
        List<String> hw = new ArrayList<>();
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                throw malformed("'" + HARDWARE_IDS + "' must be an array of strings");
            }
            hw.add(id.textValue());
        }
        JsonNode version = custom.get(VERSION);
        if (version == null || !version.isTextual()) {
            throw malformed("'" + VERSION + "' must be a string");
        }
        JsonNode sv = custom.get(SECURITY_VERSION);
        if (sv == null || !sv.isIntegralNumber() || !sv.canConvertToLong()) {
            throw malformed("'" + SECURITY_VERSION + "' must be an integer");
        }
        JsonNode min = custom.get(MIN_INSTALLED_VERSION);
        if (min != null && !min.isNull() && !min.isTextual()) {
            throw malformed("'" + MIN_INSTALLED_VERSION + "' must be a string");
        }
        try {
            return new FirmwareInfo(hw, version.textValue(), sv.longValue(),
                    min == null || min.isNull() ? null : min.textValue());
        } catch (IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
    }

    /** A new {@code custom} object holding only these fields. */
    public ObjectNode toCustom() {
        return writeTo(JsonNodeFactory.instance.objectNode());
    }

    /** Sets these fields in {@code custom} (removing a stale minInstalledVersion) and returns it. */
    public ObjectNode writeTo(ObjectNode custom) {
        ArrayNode ids = custom.putArray(HARDWARE_IDS);
        hardwareIds.forEach(ids::add);
        custom.put(VERSION, version);
        custom.put(SECURITY_VERSION, securityVersion);
        if (minInstalledVersion != null) {
            custom.put(MIN_INSTALLED_VERSION, minInstalledVersion);
        } else {
            custom.remove(MIN_INSTALLED_VERSION);
        }
        return custom;
    }

    private static RepositoryError malformed(String message) {
        return new RepositoryError(RepositoryError.Reason.MALFORMED, "firmware fields: " + message);
    }
}
