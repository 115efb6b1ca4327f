package dev.flotilla.server.deployments;

import java.util.Map;

/**
 * A deployment of one release to one device or to a group (the group's active devices when it was made).
 *
 * @param status counts of the devices' assignment states ({@code assigned}, {@code installed},
 *               {@code committed}, {@code failed}, {@code rolled_back}); a device given a newer deployment
 *               is no longer counted here
 */
public record Deployment(String id, String targetPath, String deviceId, String group, String createdAt,
                         Map<String, Integer> status) {
}
