package dev.flotilla.server.ui;

import dev.flotilla.server.audit.AuditEntry;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.ListOrder;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.rollouts.Rollout;
import dev.flotilla.server.rollouts.Rollouts;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * The releases page ({@code /ui/releases}, viewers: with the newest rollouts of each, their number and a link to
 * the list of them all) and the audit log page ({@code /ui/audit}, admins).
 */
final class RecordPages {
    static final int AUDIT_PAGE = 50;

    /** The audit page: the filter as entered (times as typed), one page of entries newest first. */
    public record AuditView(String actor, String action, String target, String from, String to,
                            List<AuditEntry> entries, int offset, Integer nextOffset, String query) {
    }

    /**
     * The releases page: each release with the newest rollouts of it (at most {@link #ROLLOUTS_PER_RELEASE}) and how
     * many there are in all (the page links to the list of them all).
     */
    public record Releases(List<ReleaseDetails.Detail> releases, Map<String, List<Rollout.Summary>> rollouts,
                           Map<String, Integer> counts) {
        /** The newest rollouts of the release {@code target}. */
        public List<Rollout.Summary> of(String target) {
            return rollouts.getOrDefault(target, List.of());
        }

        /** How many rollouts of the release {@code target} there are. */
        public int count(String target) {
            return counts.getOrDefault(target, 0);
        }

        /** How many rollouts a release shows at most. */
        public int shown() {
            return ROLLOUTS_PER_RELEASE;
        }
    }

    static final int ROLLOUTS_PER_RELEASE = 5;
    private final ReleaseDetails releases;
    private final Rollouts rollouts;
    private final Jdbi jdbi;
    private final AuditLog audit;
    private final View view;

    RecordPages(ReleaseDetails releases, Rollouts rollouts, Jdbi jdbi, AuditLog audit, View view) {
        this.releases = releases;
        this.rollouts = rollouts;
        this.jdbi = jdbi;
        this.audit = audit;
        this.view = view;
    }

    void register(Gate gate) {
        gate.page(HandlerType.GET, "/ui/releases", Role.VIEWER, (ctx, v) -> {
            dev.flotilla.server.http.QueryParams.requireOnly(ctx, List.of());
            view.render(ctx, 200, "releases.jte", v.chrome("Releases", "releases"),
                    new Releases(releases.all(), rollouts.byTarget(ROLLOUTS_PER_RELEASE), rollouts.countByTarget()));
        });
        gate.page(HandlerType.GET, "/ui/audit", Role.ADMIN, (ctx, v) ->
                view.render(ctx, 200, "audit.jte", v.chrome("Audit log", "audit"), auditView(ctx)));
    }

    private AuditView auditView(Context ctx) {
        Page.Request page = Page.Request.from(ctx, "actor", "action", "target", "from", "to");
        Page.Request sized = new Page.Request(page.offset(), AUDIT_PAGE);
        AuditLog.Filter filter = new AuditLog.Filter(param(ctx, "actor"), param(ctx, "action"),
                param(ctx, "target"), time(ctx, "from"), time(ctx, "to"));
        Page<AuditEntry> entries = Page.of(jdbi.withHandle(h -> audit.list(h, filter, sized, ListOrder.DESC)), sized);
        StringBuilder q = new StringBuilder();
        for (String name : List.of("actor", "action", "target", "from", "to")) {
            String value = param(ctx, name);
            if (value != null) {
                q.append('&').append(name).append('=')
                        .append(java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return new AuditView(filter.actor(), filter.action(), filter.target(), param(ctx, "from"), param(ctx, "to"),
                entries.items(), sized.offset(), entries.nextOffset(), q.toString());
    }

    private static String param(Context ctx, String name) {
        String v = ctx.queryParam(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /**
     * A time filter: ISO-8601 with an offset ({@code 2026-12-02T10:00:00Z}) or a browser's local date-time
     * ({@code 2026-12-02T10:00}, read as UTC); epoch milliseconds.
     */
    private static Long time(Context ctx, String name) {
        String v = param(ctx, name);
        if (v == null) {
            return null;
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw ApiException.invalid("'" + name + "' must be a date and time such as 2026-12-02T10:00 (UTC)"
                        + " or 2026-12-02T10:00:00Z; got '" + v + "'");
            }
        }
    }
}
