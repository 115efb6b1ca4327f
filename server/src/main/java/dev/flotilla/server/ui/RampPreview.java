package dev.flotilla.server.ui;

import dev.flotilla.server.rollouts.Ramp;

import java.util.ArrayList;
import java.util.List;

/**
 * What an exponential ramp ({@link Ramp}) would do with the devices selected now, as the create form's preview
 * shows it: its rate steps (the rate is {@code min(maximum, base * factor^k)} once {@code k * N} devices were
 * admitted, or committed) and how long admitting every selected device takes. Growing on admissions, that time
 * follows from the counts; growing on commits, it lies between the time if every device committed as soon as it
 * was admitted (the same as growing on admissions) and the time at the base rate if none did.
 *
 * @param onCommits     whether the rate grows on commits ({@code succeeded}) rather than admissions
 * @param every         the rate grows after each this many devices admitted (or committed)
 * @param steps         the rate steps over the selection, at most {@link #STEPS_SHOWN}
 * @param moreSteps     how many further steps there are (each a rate between the last shown and the maximum)
 * @param fastMinutes   about how many minutes admitting every selected device takes, the rate growing at each
 *                      step (on commits: if every device commits as soon as it is admitted)
 * @param slowMinutes   about how many minutes it takes at the base rate throughout (on commits: if none commits)
 */
public record RampPreview(boolean onCommits, long every, List<Step> steps, int moreSteps, long fastMinutes,
                          long slowMinutes) {
    /** How many rate steps the preview lists. */
    static final int STEPS_SHOWN = 12;

    /** The devices {@code from} to {@code to} (1-based, inclusive) in rollout order are admitted at {@code rate}. */
    public record Step(long from, long to, double rate) {
        /** The rate as read: {@code 10}, {@code 12.5}. */
        public String perMinute() {
            double r = Math.round(rate * 10) / 10.0;
            return r == Math.rint(r) ? String.valueOf((long) r) : String.valueOf(r);
        }
    }

    /** The ramp's steps over {@code selected} devices. */
    static RampPreview of(Ramp ramp, int selected) {
        boolean onCommits = ramp.increaseCriteria().notified() == null;
        long every = onCommits ? ramp.increaseCriteria().succeeded() : ramp.increaseCriteria().notified();
        List<Step> steps = new ArrayList<>();
        int more = 0;
        double minutes = 0;
        long from = 1;
        for (int k = 0; from <= selected; k++) {
            double rate = Math.min(ramp.maximumPerMinute(),
                    ramp.baseRatePerMinute() * Math.pow(ramp.incrementFactor(), k));
            long to = rate >= ramp.maximumPerMinute() ? selected : Math.min(selected, from - 1 + every);
            if (steps.size() < STEPS_SHOWN) {
                steps.add(new Step(from, to, rate));
            } else {
                more++;
            }
            minutes += (to - from + 1) / rate;
            from = to + 1;
        }
        return new RampPreview(onCommits, every, List.copyOf(steps), more, (long) Math.ceil(minutes),
                (long) Math.ceil(selected / (double) ramp.baseRatePerMinute()));
    }
}
