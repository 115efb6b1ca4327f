package dev.flotilla.server.deployments;

import java.util.Map;

/**
 * A deployment of one release to one device, to a group or to a tag. A group or tag deployment assigns the
 * members it has when it is made and, while its {@code state} is {@code active}, every device that joins
 * later ({@link MembershipAssignments}).
 *
 * @param forced      signed into each assignment: the device installs at once, ignoring its maintenance windows
 * @param state       {@code active}, {@code cancelled} (a cancelled deployment assigns no new device;
 *                    assignments already issued stay) or {@code closed} (made before schema V3, when
 *                    deployments did not follow membership: assigns no new device either)
 * @param cancelledAt when it was cancelled, or null
 * @param status      counts of the devices' assignment states ({@code assigned}, {@code installed},
 *                    {@code committed}, {@code failed}, {@code rolled_back}): what each device reported last
 *                    (see {@code Assignments.onEvent}); a device given a newer deployment is no longer counted
 *                    here
 */
public record Deployment(String id, String targetPath, String deviceId, String group, String tag, boolean forced,
                         String state, String createdAt, String cancelledAt, Map<String, Integer> status) {
    public static final String ACTIVE = "active";
    public static final String CANCELLED = "cancelled";
    public static final String CLOSED = "closed";
}
