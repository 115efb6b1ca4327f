package dev.flotilla.server.devices;

import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.QueryParams;
import io.javalin.http.Context;

import java.util.List;

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
 */
public record DeviceFilter(String hardwareId, String tag, String group, String status, String installedVersion,
                           String health, Attribute attribute, String search, String connectivity,
                           long onlineSince, String rollout, String rolloutState) {
    /** The names of the filters, as query parameters. */
    public static final String[] NAMES = {"hardwareId", "tag", "group", "status", "installedVersion", "health",
            "attribute", "q", "connectivity", "rollout", "rolloutState"};
    /** The values of {@code rolloutState}: the columns of a rollout's funnel. */
    public static final List<String> ROLLOUT_STATES = List.of("pending", "downloading", "downloaded", "installing",
            "trial", "committed", "failed", "rolled_back", "timed_out", "withdrawn", "superseded", "skipped",
            "reverted");
    public static final String ONLINE = "online";
    public static final String OFFLINE = "offline";

    /** An attribute filter: {@code NAME=VALUE} in a query. */
    public record Attribute(String name, String value) {
        /**
         * Parses {@code NAME=VALUE} (the value may contain {@code =}); null for null or blank.
         *
         * @throws ApiException 400 when there is no {@code =} or the name is empty
         */
        public static Attribute parse(String raw) {
            if (raw == null || raw.isBlank()) {
                return null;
            }
            int eq = raw.indexOf('=');
            if (eq < 1) {
                throw ApiException.invalid("query parameter 'attribute' must be NAME=VALUE; got '" + raw + "'");
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

    /** All filters but the rollout's. */
    public DeviceFilter(String hardwareId, String tag, String group, String status, String installedVersion,
                        String health, Attribute attribute, String search, String connectivity, long onlineSince) {
        this(hardwareId, tag, group, status, installedVersion, health, attribute, search, connectivity, onlineSince,
                null, null);
    }

    /** Whether any filter reads the latest manifest. */
    boolean needsManifest() {
        return installedVersion != null || health != null;
    }

    /**
     * The filters of a listing request (their names are checked with the paging, by {@code Page.Request});
     * blank values mean "any".
     *
     * @throws ApiException 400 for a status other than active or decommissioned, a connectivity other than
     *                      online or offline, an attribute that is not NAME=VALUE, or a rolloutState that is not
     *                      one of {@link #ROLLOUT_STATES} or comes without a rollout
     */
    public static DeviceFilter from(Context ctx, Presence presence) {
        String rolloutState = choice(ctx, "rolloutState", ROLLOUT_STATES);
        if (rolloutState != null && param(ctx, "rollout") == null) {
            throw ApiException.invalid("query parameter 'rolloutState' needs 'rollout' (the rollout's id)");
        }
        return new DeviceFilter(param(ctx, "hardwareId"), param(ctx, "tag"), param(ctx, "group"),
                choice(ctx, "status", List.of(Device.ACTIVE, Device.DECOMMISSIONED)),
                param(ctx, "installedVersion"), param(ctx, "health"), Attribute.parse(ctx.queryParam("attribute")),
                param(ctx, "q"), choice(ctx, "connectivity", List.of(ONLINE, OFFLINE)),
                presence.onlineSince(), param(ctx, "rollout"), rolloutState);
    }

    private static String choice(Context ctx, String name, List<String> values) {
        return param(ctx, name) == null ? null : QueryParams.oneOf(ctx, name, values);
    }

    private static String param(Context ctx, String name) {
        return blankToNull(ctx.queryParam(name));
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }
}
