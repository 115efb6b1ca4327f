package dev.flotilla.server.devices;

import dev.flotilla.server.http.QueryParams;
import io.javalin.http.Context;

import java.util.List;

/** Optional filters of the device listing; null means "any". */
public record DeviceFilter(String hardwareId, String tag, String group, String status) {
    /** The names of the filters, as query parameters. */
    public static final String[] NAMES = {"hardwareId", "tag", "group", "status"};

    /**
     * The filters of a listing request (their names are checked with the paging, by {@code Page.Request}).
     *
     * @throws dev.flotilla.server.http.ApiException 400 for a status other than active or decommissioned
     */
    public static DeviceFilter from(Context ctx) {
        return new DeviceFilter(ctx.queryParam("hardwareId"), ctx.queryParam("tag"), ctx.queryParam("group"),
                QueryParams.oneOf(ctx, "status", List.of(Device.ACTIVE, Device.DECOMMISSIONED)));
    }
}
