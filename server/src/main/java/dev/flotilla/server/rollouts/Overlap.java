package dev.flotilla.server.rollouts;

import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Handle;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One active rollout per device: which selected devices other rollouts hold. A rollout that is created, active,
 * paused or halted holds every device its selection holds now; a deployment holds the devices still working on
 * its assignment (it follows its group or tag for good, so only those count).
 */
final class Overlap {
    private Overlap() {
    }

    /** Per other rollout (id), how many of {@code members} it holds; only rollouts with an overlap are listed. */
    static Map<String, Integer> count(Handle h, Admission admission, List<Selection.Member> members, String self) {
        Set<String> mine = members.stream().map(Selection.Member::id).collect(Collectors.toSet());
        Map<String, Integer> out = new LinkedHashMap<>();
        for (RolloutRow other : RolloutRow.inState(h, RolloutRow.HOLDING)) {
            if (other.id().equals(self)) {
                continue;
            }
            Set<String> held = new HashSet<>(h.createQuery("SELECT device_id FROM rollout_devices WHERE rollout_id = :r"
                    + " AND state IN " + RolloutDevices.LIVE_SQL).bind("r", other.id()).mapTo(String.class).list());
            if (!other.deployment()) {
                admission.members(h, other).forEach(m -> held.add(m.id()));
            }
            held.retainAll(mine);
            if (!held.isEmpty()) {
                out.put(other.id(), held.size());
            }
        }
        return out;
    }

    /**
     * @throws DomainError.Conflict {@code rollout_conflict} when any other rollout holds a selected device
     */
    static void refuse(Map<String, Integer> overlap, int selected) {
        if (overlap.isEmpty()) {
            return;
        }
        int total = overlap.values().stream().mapToInt(Integer::intValue).sum();
        String each = overlap.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", "));
        throw new DomainError.Conflict("rollout_conflict", total + " of the " + selected
                + " selected devices are held by other rollouts (" + each
                + "); set supersede to true to take them over");
    }
}
