package dev.flotilla.server.rollouts;

import dev.flotilla.core.director.MaintenanceWindow;
import java.time.DateTimeException;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;

import java.time.Instant;
import java.util.Set;

/**
 * How a rollout's devices install and what happens when it halts. Stored with the rollout and served with it.
 * <pre>{@code
 * {"install": "forced" | "soft" | "download-only", "maxConcurrentDownloads": 100,
 *  "maintenanceWindow": {"cron": "0 2 * * *", "durationMinutes": 120, "zone": "Europe/Berlin"},
 *  "startAt": "2026-12-24T02:00:00Z", "onHalt": "pause" | "revert", "maxRetries": 2,
 *  "retryBackoffSeconds": 300, "retryBackoffFactor": 2, "retryBackoffMaxSeconds": 3600}
 * }</pre>
 *
 * @param install                {@code forced}: install at once, outside maintenance windows (signed into the
 *                               assignment); {@code soft} (default): the device's own policy or user decides when;
 *                               {@code download-only}: download now, install later
 * @param maxConcurrentDownloads at most this many of the rollout's devices downloading at once (null: no limit)
 * @param maintenanceWindow      when devices may install (checked by the rules the agent evaluates it with)
 * @param startAt                the rollout's first stage starts no earlier (null: when started)
 * @param onHalt                 {@code pause} (default): devices keep what they have; {@code revert}: devices that
 *                               committed the halted release are assigned their previous release
 * @param maxRetries             how often an operator may retry one failed device (default 2)
 * @param retryBackoffSeconds    how long after its failure a device's first retry waits (default 300; 0: none)
 * @param retryBackoffFactor     each further retry of the device waits this many times longer (default 2)
 * @param retryBackoffMaxSeconds no retry waits longer than this (default the larger of 3600 and
 *                               {@code retryBackoffSeconds}); see {@link #retryDelayMillis}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Policies(String install, Long maxConcurrentDownloads, Window maintenanceWindow, String startAt,
                       String onHalt, long maxRetries, long retryBackoffSeconds, double retryBackoffFactor,
                       long retryBackoffMaxSeconds) {
    private static final String CODE = "invalid_policies";
    public static final String FORCED = "forced";
    public static final String SOFT = "soft";
    public static final String DOWNLOAD_ONLY = "download-only";
    public static final String PAUSE = "pause";
    public static final String REVERT = "revert";

    public static final long RETRY_BACKOFF_SECONDS = 300;
    public static final double RETRY_BACKOFF_FACTOR = 2;
    public static final long RETRY_BACKOFF_MAX_SECONDS = 3600;
    public static final Policies DEFAULT = new Policies(SOFT, null, null, null, PAUSE, 2, RETRY_BACKOFF_SECONDS,
            RETRY_BACKOFF_FACTOR, RETRY_BACKOFF_MAX_SECONDS);

    /** The default policies of a row stored without any (a deployment): {@code forced} or soft, as it was made. */
    static Policies of(boolean forced) {
        return new Policies(forced ? FORCED : SOFT, null, null, null, PAUSE, 2, RETRY_BACKOFF_SECONDS,
                RETRY_BACKOFF_FACTOR, RETRY_BACKOFF_MAX_SECONDS);
    }

    /** A maintenance window: starts at each {@code cron} time (5 fields) in {@code zone}, lasts the duration. */
    public record Window(String cron, long durationMinutes, String zone) {
        /** The window as signed into assignments (validated on creation, so this does not throw). */
        public MaintenanceWindow signed() {
            return new MaintenanceWindow(cron, (int) durationMinutes, zone);
        }

        /**
         * Reads and validates a window {@code {"cron", "durationMinutes", "zone"?}} (zone defaults to UTC) by the
         * rules the agent evaluates it with: THE validation of every maintenance window the server stores (a
         * rollout's and a group's).
         *
         * @param path the JSON path of the window, to name the field in errors (e.g. {@code policies.maintenanceWindow})
         * @throws DomainError.Invalid {@code code}, naming the field
         */
        public static Window parse(JsonNode json, String path, String code) {
            Fields f = Fields.of(json, path, code, Set.of("cron", "durationMinutes", "zone"));
            String cron = f.string("cron").orElseThrow(() -> f.invalid("cron", "is required"));
            long duration = f.integer("durationMinutes", 1, 1440)
                    .orElseThrow(() -> f.invalid("durationMinutes", "is required (1 to 1440)"));
            String zone = f.string("zone").orElse("UTC");
            try { // the agent's own rules: the window is signed into assignments and evaluated on the device
                new MaintenanceWindow(cron.trim(), (int) duration, zone);
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                int colon = m.indexOf(": ");
                String field = colon > 0 && Set.of("cron", "durationMinutes", "zone").contains(m.substring(0, colon))
                        ? m.substring(0, colon) : "cron";
                String why = colon > 0 ? m.substring(colon + 2) : m.replaceFirst("^cron '[^']*' ", "");
                throw f.invalid(field, why);
            }
            return new Window(cron.trim(), duration, zone);
        }
    }

    public boolean forced() {
        return FORCED.equals(install);
    }

    public boolean revert() {
        return REVERT.equals(onHalt);
    }

    /**
     * How long the {@code n}-th retry of a device (n from 1) waits after the device's last failure:
     * {@code retryBackoffSeconds * retryBackoffFactor^(n-1)}, at most {@code retryBackoffMaxSeconds}.
     */
    public long retryDelayMillis(long n) {
        double seconds = retryBackoffSeconds * Math.pow(retryBackoffFactor, Math.max(0, n - 1));
        return Math.min(retryBackoffMaxSeconds, (long) Math.min(seconds, Long.MAX_VALUE / 1000.0)) * 1000;
    }

    public Instant startInstant() {
        return startAt == null ? null : Instant.parse(startAt);
    }

    /**
     * Reads and validates policies (absent fields take the defaults above).
     *
     * @throws DomainError.Invalid {@code invalid_policies}, naming the field
     */
    public static Policies parse(JsonNode json) {
        Fields f = Fields.of(json, "policies", CODE,
                Set.of("install", "maxConcurrentDownloads", "maintenanceWindow", "startAt", "onHalt", "maxRetries",
                        "retryBackoffSeconds", "retryBackoffFactor", "retryBackoffMaxSeconds"));
        String install = f.string("install").orElse(SOFT);
        if (!Set.of(FORCED, SOFT, DOWNLOAD_ONLY).contains(install)) {
            throw f.invalid("install", "must be 'forced', 'soft' or 'download-only', got '" + install + "'");
        }
        String onHalt = f.string("onHalt").orElse(PAUSE);
        if (!Set.of(PAUSE, REVERT).contains(onHalt)) {
            throw f.invalid("onHalt", "must be 'pause' or 'revert', got '" + onHalt + "'");
        }
        String startAt = f.string("startAt").orElse(null);
        if (startAt != null) {
            try {
                Instant.parse(startAt);
            } catch (DateTimeException e) {
                throw f.invalid("startAt", "must be an ISO-8601 instant such as 2026-12-24T02:00:00Z");
            }
        }
        long backoff = f.integer("retryBackoffSeconds", 0, 86_400).orElse(RETRY_BACKOFF_SECONDS);
        double factor = f.number("retryBackoffFactor", 1, 10, false).orElse(RETRY_BACKOFF_FACTOR);
        long most = f.integer("retryBackoffMaxSeconds", 0, 604_800)
                .orElse(Math.max(RETRY_BACKOFF_MAX_SECONDS, backoff));
        if (most < backoff) {
            throw f.invalid("retryBackoffMaxSeconds", "must be at least retryBackoffSeconds (" + backoff + "), got "
                    + most);
        }
        return new Policies(install, f.integer("maxConcurrentDownloads", 1, 1_000_000).orElse(null),
                f.has("maintenanceWindow") ? window(f) : null, startAt, onHalt, f.integer("maxRetries", 0, 100).orElse(2L),
                backoff, factor, most);
    }

    private static Window window(Fields parent) {
        return Window.parse(parent.get("maintenanceWindow"), parent.at("maintenanceWindow"), CODE);
    }
}
