package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.ListOrder;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.QueryParams;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Operator routes for the inventory under {@code /api/v1/devices}. Viewers read; operators change; admins
 * delete.
 */
public final class DeviceRoutes {
    private DeviceRoutes() {
    }

    /**
     * @param fleet the fleet summary ({@code GET /api/v1/fleet/summary}) and the baseline the list's
     *              {@code securityVersion} and {@code trustedRoot} filters compare with
     */
    public static void register(Routes routes, DeviceService devices, DeviceEvents events, CheckIns checkIns,
                                FleetOverview fleet) {
        Supplier<FleetBaseline> baseline = fleet::baseline;
        routes.operator(HandlerType.GET, "/api/v1/fleet/summary", Role.VIEWER, (ctx, op) -> {
            QueryParams.requireOnly(ctx, java.util.List.of()); // it takes none: any is refused
            ctx.json(fleet.summary());
        });
        routes.operator(HandlerType.GET, "/api/v1/devices", Role.VIEWER,
                (ctx, op) -> {
                    Page.Request page = Page.Request.from(ctx, DeviceFilter.NAMES);
                    ctx.json(devices.list(DeviceFilter.from(ctx::queryParam, checkIns.presence(), baseline), page));
                });
        routes.operator(HandlerType.POST, "/api/v1/devices", Role.OPERATOR, (ctx, op) -> {
            JsonBody body = JsonBody.of(ctx);
            ctx.status(201).json(devices.preRegister(op.actor(), DeviceKeys.parse(body.required("publicKey")),
                    body.string("hardwareId", Limits.NAME), body.optString("group", Limits.NAME).orElse(null),
                    body.strings("tags", Limits.NAME)));
        });
        routes.operator(HandlerType.GET, "/api/v1/devices/{deviceId}", Role.VIEWER, (ctx, op) -> {
            Device d = devices.get(ctx.pathParam("deviceId")); // with lastSeenAt exact on this server
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("device", d);
            out.put("manifest", checkIns.latestManifest(d.id()).orElse(null));
            ctx.json(out);
        });
        // Writes that can give a device a new assignment or refuse it return once every server answers its
        // check-ins accordingly (DeviceService settles them).
        routes.operator(HandlerType.PUT, "/api/v1/devices/{deviceId}/tags", Role.OPERATOR, (ctx, op) -> {
            ctx.json(devices.setTags(op.actor(), ctx.pathParam("deviceId"), JsonBody.of(ctx).strings("tags", Limits.NAME)));
        });
        routes.operator(HandlerType.PUT, "/api/v1/devices/{deviceId}/group", Role.OPERATOR, (ctx, op) -> {
            JsonNode group = JsonBody.of(ctx).node().get("group");
            if (group != null && !group.isNull() && (!group.isTextual() || group.textValue().isBlank())) {
                throw ApiException.invalid("group must be a non-empty string or null");
            }
            String value = group == null || group.isNull() ? null : Limits.text("group", group.textValue(), Limits.NAME);
            ctx.json(devices.setGroup(op.actor(), ctx.pathParam("deviceId"), value));
        });
        routes.operator(HandlerType.POST, "/api/v1/devices/{deviceId}/decommission", Role.OPERATOR,
                (ctx, op) -> ctx.json(devices.decommission(op.actor(), ctx.pathParam("deviceId"))));
        routes.operator(HandlerType.POST, "/api/v1/devices/{deviceId}/recommission", Role.OPERATOR,
                (ctx, op) -> ctx.json(devices.recommission(op.actor(), ctx.pathParam("deviceId"))));
        routes.operator(HandlerType.DELETE, "/api/v1/devices/{deviceId}", Role.ADMIN,
                (ctx, op) -> ctx.json(devices.delete(op.actor(), ctx.pathParam("deviceId"))));
        routes.operator(HandlerType.GET, "/api/v1/devices/{deviceId}/events", Role.VIEWER, (ctx, op) -> {
            String id = devices.get(ctx.pathParam("deviceId")).id();
            ctx.json(events.list(id, Page.Request.from(ctx, ListOrder.PARAM), ListOrder.from(ctx)));
        });
    }
}
