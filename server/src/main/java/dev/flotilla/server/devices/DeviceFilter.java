package dev.flotilla.server.devices;

import dev.flotilla.server.errors.DomainError;

import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Optional filters of the device listing; null means "any".
 *
 * @param installedVersion the firmware version of the release the device's latest manifest names as installed
 * @param health           the {@code healthState} of the device's latest manifest
 * @param attribute        a filterable attribute ({@link DeviceAttributes}) and its value
 * @param search           the start of the device id or key id
 * @param connectivity     {@code online} or {@code offline} ({@link Presence})
 * @param onlineSince      with {@code connectivity}: the earliest {@code lastSeenAt} of an online device
 * @param rollout          the devices a rollout (or deployment) admitted, by its id
 * @param rolloutState     with {@code rollout}: the device's state in it, a column of the rollout's funnel
 *                         ({@link #ROLLOUT_STATES}; {@code pending}: assigned, not yet downloading)
 * @param securityVersion  {@link #BEHIND}: the security version of the device's latest manifest is below the
 *                         newest of its hardware's releases ({@link FleetBaseline}); {@link #CURRENT}: it is at
 *                         least that. A device that reported none, or whose hardware has no release naming one,
 *                         is neither
 * @param trustedRoot      {@link #BEHIND}: the root version the device's latest manifest trusts is older than
 *                         the current root; {@link #CURRENT}: it is not. A device that reported none is neither,
 *                         and so is every device before a root was uploaded
 * @param baseline         what {@code securityVersion} and {@code trustedRoot} compare with; null when neither
 *                         is given
 */
public record DeviceFilter(String hardwareId, String tag, String group, String status, String installedVersion,
                           String health, Attribute attribute, String search, String connectivity,
                           long onlineSince, String rollout, String rolloutState, String securityVersion,
                           String trustedRoot, FleetBaseline baseline) {
    /** The names of the filters, as query parameters. */
    public static final String[] NAMES = {"hardwareId", "tag", "group", "status", "installedVersion", "health",
            "attribute", "q", "connectivity", "rollout", "rolloutState", "securityVersion", "trustedRoot"};
    /** The values of {@code rolloutState}: the columns of a rollout's funnel. */
    public static final List<String> ROLLOUT_STATES = List.of("pending", "downloading", "downloaded", "installing",
            "trial", "committed", "failed", "rolled_back", "timed_out", "withdrawn", "superseded", "skipped",
            "reverted");
    public static final String ONLINE = "online";
    public static final String OFFLINE = "offline";
    /** A value of {@code securityVersion} and {@code trustedRoot}: behind the fleet's baseline. */
    public static final String BEHIND = "behind";
    /** A value of {@code securityVersion} and {@code trustedRoot}: caught up with the fleet's baseline. */
    public static final String CURRENT = "current";
    /** The values of {@code securityVersion} and {@code trustedRoot}. */
    public static final List<String> STANDINGS = List.of(BEHIND, CURRENT);

    /** An attribute filter: {@code NAME=VALUE} in a query. */
    public record Attribute(String name, String value) {
        /**
         * Parses {@code NAME=VALUE} (the value may contain {@code =}); null for null or blank.
         *
         * @throws DomainError.Invalid {@code invalid_request} when there is no {@code =} or the name is empty
         */
        public static Attribute parse(String raw) {
            if (raw == null || raw.isBlank()) {
                return null;
            }
            int eq = raw.indexOf('=');
            if (eq < 1) {
                throw new DomainError.Invalid("invalid_request", "query parameter 'attribute' must be NAME=VALUE; got '"
                        + raw + "'");
            }
            return new Attribute(raw.substring(0, eq), raw.substring(eq + 1));
        }

        @Override
        public String toString() {
            return name + "=" + value;
        }
    }

    /** Filters on inventory fields only. */
    public DeviceFilter(String hardwareId, String tag, String group, String status) {
        this(hardwareId, tag, group, status, null, null, null, null, null, 0);
    }

    /** All filters but the rollout's and those against the fleet's baseline. */
    public DeviceFilter(String hardwareId, String tag, String group, String status, String installedVersion,
                        String health, Attribute attribute, String search, String connectivity, long onlineSince) {
        this(hardwareId, tag, group, status, installedVersion, health, attribute, search, connectivity, onlineSince,
                null, null, null, null, null);
    }

    /**
     * @throws IllegalArgumentException when {@code securityVersion} or {@code trustedRoot} is given without a
     *                                  baseline to compare with
     */
    public DeviceFilter {
        if ((securityVersion != null || trustedRoot != null) && baseline == null) {
            throw new IllegalArgumentException("securityVersion and trustedRoot need the fleet's baseline");
        }
    }

    /** Whether any filter reads the latest manifest. */
    boolean needsManifest() {
        return installedVersion != null || health != null || securityVersion != null || trustedRoot != null;
    }

    /**
     * The filters of a listing request, named as in {@link #NAMES} (the caller checks that no other parameter is
     * given); blank values mean "any".
     *
     * @param query    the value of a query parameter by its name, null when absent (e.g. {@code ctx::queryParam})
     * @param baseline what {@code securityVersion} and {@code trustedRoot} compare with; asked for only when one
     *                 of them is given
     * @throws DomainError.Invalid {@code invalid_request} for a status other than active or decommissioned, a
     *                             connectivity other than online or offline, an attribute that is not
     *                             NAME=VALUE, a rolloutState that is not one of {@link #ROLLOUT_STATES} or
     *                             comes without a rollout, or a securityVersion or trustedRoot other than
     *                             behind or current
     */
    public static DeviceFilter from(UnaryOperator<String> query, Presence presence, Supplier<FleetBaseline> baseline) {
        String rolloutState = choice(query, "rolloutState", ROLLOUT_STATES);
        if (rolloutState != null && param(query, "rollout") == null) {
            throw new DomainError.Invalid("invalid_request",
                    "query parameter 'rolloutState' needs 'rollout' (the rollout's id)");
        }
        String securityVersion = choice(query, "securityVersion", STANDINGS);
        String trustedRoot = choice(query, "trustedRoot", STANDINGS);
        return new DeviceFilter(param(query, "hardwareId"), param(query, "tag"), param(query, "group"),
                choice(query, "status", List.of(Device.ACTIVE, Device.DECOMMISSIONED)),
                param(query, "installedVersion"), param(query, "health"), Attribute.parse(query.apply("attribute")),
                param(query, "q"), choice(query, "connectivity", List.of(ONLINE, OFFLINE)),
                presence.onlineSince(), param(query, "rollout"), rolloutState, securityVersion, trustedRoot,
                securityVersion == null && trustedRoot == null ? null : baseline.get());
    }

    /** A parameter with a fixed set of values, null when absent or blank; any other value is refused. */
    private static String choice(UnaryOperator<String> query, String name, List<String> values) {
        if (param(query, name) == null) {
            return null;
        }
        String v = query.apply(name);
        if (!values.contains(v)) {
            throw new DomainError.Invalid("invalid_request", "query parameter '" + name + "' must be one of "
                    + String.join(", ", values) + "; got '" + v + "'");
        }
        return v;
    }

    private static String param(UnaryOperator<String> query, String name) {
        return blankToNull(query.apply(name));
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }
}
