package dev.flotilla.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.http.ListOrder;
import dev.flotilla.server.http.Page;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The append-only audit log. It has no update or delete: entries are written in the same transaction as
 * the change they describe, so a change and its entry commit or roll back together.
 */
public final class AuditLog {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final Clock clock;

    public AuditLog(Clock clock) {
        this.clock = clock;
    }

    /** Appends an entry inside the caller's transaction. {@code before}/{@code after} are serialised to JSON. */
    public void record(Handle h, Actor actor, String action, String targetKind, String targetId,
                       Object before, Object after) {
        h.createUpdate("""
                        INSERT INTO audit_log (at_millis, actor_kind, actor_id, actor_name, action, target_kind,
                                               target_id, before_json, after_json)
                        VALUES (:at, :ak, :ai, :an, :action, :tk, :ti, :before, :after)""")
                .bind("at", clock.millis())
                .bind("ak", actor.kind()).bind("ai", actor.id()).bind("an", actor.name())
                .bind("action", action).bind("tk", targetKind).bind("ti", targetId)
                .bind("before", toJson(before)).bind("after", toJson(after))
                .execute();
    }

    /** Entries oldest first; up to {@code limit + 1}. */
    public List<AuditEntry> list(Handle h, Page.Request page) {
        return list(h, page, ListOrder.ASC);
    }

    /** Entries in the order they were written: oldest first ({@code ASC}) or newest first; up to {@code limit + 1}. */
    public List<AuditEntry> list(Handle h, Page.Request page, ListOrder order) {
        return list(h, Filter.NONE, page, order);
    }

    /**
     * Filters of the audit log; null means "any". {@code actor} matches the actor's id or name, {@code target}
     * the target's id, {@code action} exactly or, ending in {@code .}, as a prefix ({@code device.}); times
     * are epoch milliseconds, {@code from} inclusive and {@code to} exclusive.
     */
    public record Filter(String actor, String action, String target, Long from, Long to) {
        public static final Filter NONE = new Filter(null, null, null, null, null);
    }

    /** Entries matching {@code filter} in the order they were written; up to {@code limit + 1}. */
    public List<AuditEntry> list(Handle h, Filter filter, Page.Request page, ListOrder order) {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        java.util.Map<String, Object> binds = new java.util.LinkedHashMap<>();
        if (filter.actor() != null) {
            where.append(" AND (actor_id = :actor OR actor_name = :actor)");
            binds.put("actor", filter.actor());
        }
        if (filter.action() != null) {
            where.append(filter.action().endsWith(".") ? " AND action LIKE :action ESCAPE '!'" : " AND action = :action");
            binds.put("action", filter.action().endsWith(".")
                    ? filter.action().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%" : filter.action());
        }
        if (filter.target() != null) {
            where.append(" AND target_id = :target");
            binds.put("target", filter.target());
        }
        if (filter.from() != null) {
            where.append(" AND at_millis >= :from");
            binds.put("from", filter.from());
        }
        if (filter.to() != null) {
            where.append(" AND at_millis < :to");
            binds.put("to", filter.to());
        }
        var q = h.createQuery("SELECT * FROM audit_log" + where + " ORDER BY seq " + order.sql()
                        + " LIMIT :limit OFFSET :offset")
                .bind("limit", page.limit() + 1).bind("offset", page.offset());
        binds.forEach(q::bind);
        return q.map((rs, ctx) -> new AuditEntry(rs.getLong("seq"),
                        Instant.ofEpochMilli(rs.getLong("at_millis")).toString(), rs.getString("actor_kind"),
                        rs.getString("actor_id"), rs.getString("actor_name"), rs.getString("action"),
                        rs.getString("target_kind"), rs.getString("target_id"),
                        fromJson(rs.getString("before_json")), fromJson(rs.getString("after_json"))))
                .list();
    }

    private static String toJson(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise audit state", e);
        }
    }

    private static JsonNode fromJson(String json) {
        if (json == null) {
            return null;
        }
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt audit entry", e);
        }
    }
}
