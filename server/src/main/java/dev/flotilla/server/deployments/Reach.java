package dev.flotilla.server.deployments;

import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Handle;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whom a deployment reaches when it is made: the active devices it names ({@code members}) and how many of
 * them are hardware the release runs on ({@code matchingHardware}, against the target's {@code hardwareIds}).
 * A deployment that reaches no device of the right hardware is most often a typo, so {@link #requireDeployable}
 * refuses it, unless it is a group or tag deployment made for devices that join later ({@code allowEmpty}).
 */
public record Reach(List<String> hardwareIds, int members, int matchingHardware) {
    /**
     * Counts the active devices a deployment names, by whether they are hardware {@code entry} runs on.
     *
     * @param column what the deployment names: {@code deviceId}, {@code group} or {@code tag}
     * @param value  the device id, group or tag
     */
    static Reach count(Handle h, String column, String value, TargetFile entry) {
        String where = switch (column) {
            case "deviceId" -> "d.id = :v";
            case "group" -> "d.device_group = :v";
            case "tag" -> "EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = :v)";
            default -> throw new IllegalArgumentException(column);
        };
        Map<String, Integer> byHardware = new TreeMap<>();
        h.createQuery("SELECT d.hardware_id, COUNT(*) FROM devices d WHERE " + where
                        + " AND d.status = 'active' GROUP BY d.hardware_id")
                .bind("v", value).map((rs, ctx) -> byHardware.put(rs.getString(1), rs.getInt(2))).list();
        List<String> hardware = FirmwareInfo.fromTarget(entry).hardwareIds();
        int members = byHardware.values().stream().mapToInt(Integer::intValue).sum();
        int matching = byHardware.entrySet().stream().filter(e -> hardware.contains(e.getKey()))
                .mapToInt(Map.Entry::getValue).sum();
        return new Reach(hardware, members, matching);
    }

    /**
     * Refuses a deployment that reaches no device of the release's hardware: a single device of other hardware
     * always ({@code hardware_mismatch}); a group or tag only without {@code allowEmpty} ({@code no_matching_devices}).
     *
     * @param audience for the message, e.g. {@code group 'lab'}
     * @throws DomainError.Conflict {@code hardware_mismatch} or {@code no_matching_devices} as above
     */
    void requireDeployable(String audience, String target, boolean single, boolean allowEmpty) {
        if (matchingHardware > 0 || (!single && allowEmpty)) {
            return;
        }
        String runsOn = "target '" + target + "' runs on " + String.join(", ", hardwareIds);
        if (single) {
            throw new DomainError.Conflict("hardware_mismatch", audience + " is other hardware; " + runsOn);
        }
        throw new DomainError.Conflict("no_matching_devices", (members == 0
                ? audience + " has no active devices"
                : "none of the " + members + " active devices of " + audience + " is hardware the target runs on")
                + " (0 match; " + runsOn + "); check the name, or set allowEmpty to deploy to devices that join later");
    }
}
