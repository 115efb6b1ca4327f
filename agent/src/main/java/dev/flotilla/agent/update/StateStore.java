package dev.flotilla.agent.update;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The persisted update state: one JSON file ({@link StateJson}) replaced atomically through the storage seam,
 * holding the state, its loop-guard count and how the last finished assignment ended.
 *
 * @see Persisted
 */
public final class StateStore {
    /**
     * What is on disk.
     *
     * @param seq the number of the last transition (and of its event)
     * @param entries how many times the agent started in this state without progress (the loop guard)
     * @param state the state
     * @param finished the last assignment the machine finished, null before the first
     * @param watch the health watch after the last commit, null when none is running
     */
    public record Persisted(long seq, int entries, UpdateState state, Finished finished, HealthWatch watch) {
        /** A state without a health watch. */
        public Persisted(long seq, int entries, UpdateState state, Finished finished) {
            this(seq, entries, state, finished, null);
        }
    }

    /**
     * The post-commit health watch: until {@code untilEpochMilli} (the board's clock), each run of the machine
     * in IDLE runs one round of health checks. Persisted, so it continues after a restart.
     *
     * @param assignmentId the committed assignment (deployment)
     * @param version its version
     * @param untilEpochMilli when the watch ends
     * @param failing whether the last round failed (a {@code health_failed} event was reported for it)
     */
    public record HealthWatch(String assignmentId, String version, long untilEpochMilli, boolean failing) {
    }

    /**
     * How the last finished assignment ended: written in the same atomic replace as the transition into
     * IDLE that concludes it, so after a power cut the device is either still in the concluding state
     * (and redoes the transition) or idle and remembers the outcome.
     *
     * <p>One record is enough, so the file stays bounded: the device accepts no assignment counter below the
     * highest it accepted ({@code REPLAYED}) and starts no assignment whose counter is not above this one's,
     * so started counters only grow and the last finished assignment has the highest finished counter.
     * Every counter below it is refused as a replay; the only one that could slip through is this one,
     * served again (e.g. before the server heard the outcome), and the machine refuses it.
     *
     * @param counter the assignment's director counter ({@link Assignment#counter()})
     * @param assignmentId its id
     * @param outcome the reason of the concluding transition: {@code UPDATE_SUCCEEDED}, {@code UPDATE_FAILED}
     *        (also a refusal by the machine, e.g. {@code SECURITY_VERSION_TOO_LOW}), {@code UPDATE_ROLLED_BACK}
     *        or {@code REENTRY_LIMIT}
     */
    public record Finished(long counter, String assignmentId, ReasonCode outcome) {
    }

    private final Path file;
    private final Durable durable;

    public StateStore(Path file, Durable durable) {
        this.file = file;
        this.durable = durable;
    }

    /** The stored state, or IDLE at sequence 0 on a new device. */
    public Persisted load() throws IOException {
        if (!Files.exists(file)) {
            return new Persisted(0, 0, new UpdateState.Idle(), null);
        }
        return StateJson.readPersisted(file, Files.readAllBytes(file));
    }

    /** Replaces the stored state atomically. */
    public void save(Persisted p) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        durable.replace(file, StateJson.write(p));
    }
}
