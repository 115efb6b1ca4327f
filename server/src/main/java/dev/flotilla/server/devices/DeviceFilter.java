package dev.flotilla.server.devices;

import io.javalin.http.Context;

/** Optional filters of the device listing; null means "any". */
public record DeviceFilter(String hardwareId, String tag, String group, String status) {
    public static DeviceFilter from(Context ctx) {
        return new DeviceFilter(ctx.queryParam("hardwareId"), ctx.queryParam("tag"), ctx.queryParam("group"),
                ctx.queryParam("status"));
    }
}
