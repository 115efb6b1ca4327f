package dev.flotilla.server.audit;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One line of the append-only audit log: who did what to which thing, when, and the thing's state before
 * and after (JSON, null where it did not exist or no longer exists).
 */
public record AuditEntry(long seq, String at, String actorKind, String actorId, String actorName, String action,
                         String targetKind, String targetId, JsonNode before, JsonNode after) {
}
