package dev.flotilla.agent.update;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The outcome of one round of health checks: each check's name, result and reason code. Reported in the
 * signed manifest ({@code healthState}, {@code healthChecks}) and with the events that health decides
 * (the rollback of a trial, {@code health_failed} after a commit).
 *
 * @param state  {@code OK} when every check passed, {@code FAILING} when any failed, {@code UNKNOWN} when no
 *               round ran since the agent started
 * @param checks the checks of the round, in order
 */
public record HealthReport(State state, List<Check> checks) {
    /** No round has run since the agent started. */
    public static final HealthReport UNKNOWN = new HealthReport(State.UNKNOWN, List.of());

    /** The health state as the manifest spells it: {@code ok}, {@code failing}, {@code unknown}. */
    public enum State {
        OK, FAILING, UNKNOWN;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One check's result.
     *
     * @param name       the check's name ({@code server-reached}, a command's file name, ...)
     * @param ok         whether it passed
     * @param reasonCode {@code OK}, or why it failed (e.g. {@code EXIT_NONZERO}, {@code TIMEOUT},
     *                   {@code SERVER_UNREACHABLE}, {@code METADATA_REFRESH_FAILED}, {@code CHECK_ERROR})
     * @param detail     a human-readable detail, empty when it passed
     */
    public record Check(String name, boolean ok, String reasonCode, String detail) {
    }

    public HealthReport {
        checks = List.copyOf(checks);
    }

    /** The report of a round: {@code OK} when every check passed. */
    public static HealthReport of(List<Check> checks) {
        return new HealthReport(checks.stream().allMatch(Check::ok) ? State.OK : State.FAILING, checks);
    }

    public boolean healthy() {
        return state == State.OK;
    }

    /** The failed checks' details, joined with {@code "; "}; empty when none failed. */
    public String why() {
        return checks.stream().filter(c -> !c.ok()).map(Check::detail).collect(Collectors.joining("; "));
    }
}
