package dev.flotilla.server.trust;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * The trusted root: uploaded by an administrator (built and signed offline by {@code flotilla trust init}),
 * checked and stored in the database. The server never signs a root.
 */
public final class TrustService {
    private final Jdbi jdbi;
    private final TufStore store;
    private final OnlineKeys keys;
    private final AuditLog audit;
    private final Clock clock;

    public TrustService(Jdbi jdbi, TufStore store, OnlineKeys keys, AuditLog audit, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.keys = keys;
        this.audit = audit;
        this.clock = clock;
    }

    /** What an accepted root upload answers. */
    public record RootInfo(long version, String expires) {
    }

    /**
     * Accepts the next root version: version 1 when there is none, else current + 1; signed to its own root
     * threshold and, for a replacement, to the previous root's; not expired; and its snapshot, timestamp
     * and {@code director} roles are the server's online keys (threshold 1), so that the server can sign
     * for them. Nothing is stored when any check fails.
     *
     * @throws DomainError.Invalid {@code malformed_metadata}, {@code unsigned_metadata}, {@code expired_metadata},
     *                             {@code root_mismatch}
     * @throws DomainError.Conflict {@code bad_version}
     */
    public RootInfo uploadRoot(byte[] body, Actor actor) {
        Metadata<Root> root = parse(body, Root.class);
        return jdbi.inTransaction(h -> {
            store.lock(h);
            Optional<Metadata<Root>> previous = current(h);
            long expected = previous.map(p -> p.signed().version() + 1).orElse(1L);
            if (root.signed().version() != expected) {
                throw new DomainError.Conflict("bad_version", "expected root version " + expected + ", got "
                        + root.signed().version());
            }
            verify("root", root.signed(), root);
            if (previous.isPresent()) {
                verify("root (previous root's keys)", previous.get().signed(), root);
            }
            if (!root.signed().expires().isAfter(clock.instant())) {
                throw new DomainError.Invalid("expired_metadata", "root expired at " + root.signed().expires());
            }
            requireOnlineKey(root.signed(), OnlineKeys.SNAPSHOT, keys.snapshot().keyId());
            requireOnlineKey(root.signed(), OnlineKeys.TIMESTAMP, keys.timestamp().keyId());
            requireOnlineKey(root.signed(), OnlineKeys.DIRECTOR, keys.director().keyId());
            store.insert(h, "root", root.signed().version(), root.toBytes(), root.signed().expires(), clock.millis());
            RootInfo info = new RootInfo(root.signed().version(), root.signed().expires().toString());
            audit.record(h, actor, "trust.root", "root", Long.toString(info.version()),
                    previous.map(p -> new RootInfo(p.signed().version(), p.signed().expires().toString())).orElse(null),
                    info);
            return info;
        });
    }

    /**
     * Checks targets metadata signed offline before it is stored (the caller holds the publish lock): a
     * root exists, the metadata is signed to the root's targets threshold, is the next targets version and
     * has not expired.
     *
     * @throws DomainError.Conflict {@code no_root}, {@code bad_version}
     * @throws DomainError.Invalid {@code unsigned_metadata}, {@code expired_metadata}
     */
    public void requireNextTargets(Handle h, Metadata<Targets> md) {
        Metadata<Root> root = current(h)
                .orElseThrow(() -> new DomainError.Conflict("no_root",
                        "no root uploaded yet (flotilla trust init --server)"));
        try {
            Metadata.verifyThreshold("targets", root.signed().role("targets"), root.signed().keys(), md);
        } catch (RepositoryError e) {
            throw new DomainError.Invalid("unsigned_metadata", e.getMessage());
        }
        long expected = store.latest(h, "targets").map(s -> s.version() + 1).orElse(1L);
        if (md.signed().version() != expected) {
            throw new DomainError.Conflict("bad_version", "expected targets version " + expected + ", got "
                    + md.signed().version());
        }
        if (!md.signed().expires().isAfter(clock.instant())) {
            throw new DomainError.Invalid("expired_metadata", "targets expired at " + md.signed().expires());
        }
    }

    /**
     * Checks that {@code next} lists exactly the targets of the current targets metadata, but {@code dropped}
     * when given, with the same delegations: a re-signing ({@link TargetsRefresh}) or a release's deletion.
     *
     * @param changed the message of the refusal, from the current targets version
     * @return the current targets
     * @throws DomainError.Conflict {@code no_targets} when nothing was released yet
     * @throws DomainError.Invalid {@code targets_changed}
     */
    public Targets requireCurrentTargets(Handle h, Targets next, Optional<String> dropped,
                                         java.util.function.LongFunction<String> changed) {
        Targets current = store.latest(h, "targets").map(s -> Metadata.fromBytes(s.bytes(), Targets.class).signed())
                .orElseThrow(() -> new DomainError.Conflict("no_targets",
                        "no targets metadata yet: publish a release first (flotilla release publish)"));
        com.fasterxml.jackson.databind.node.ObjectNode expected = current.toJson().path("targets").deepCopy();
        dropped.ifPresent(expected::remove);
        if (!expected.equals(next.toJson().path("targets"))
                || !java.util.Objects.equals(next.toJson().get("delegations"), current.toJson().get("delegations"))) {
            throw new DomainError.Invalid("targets_changed", changed.apply(current.version()));
        }
        return current;
    }

    /** The newest root, if one was uploaded. */
    public Optional<Metadata<Root>> current(Handle h) {
        return store.latest(h, "root").map(s -> Metadata.fromBytes(s.bytes(), Root.class));
    }

    public Optional<Metadata<Root>> current() {
        return jdbi.withHandle(this::current);
    }

    /** The online public keys, by role. */
    public Map<String, Object> onlineKeys() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        keys.publicKeys().forEach((role, key) -> out.put(role, Map.of("keyid", key.keyId(), "key", key.toJson())));
        return out;
    }

    private static void requireOnlineKey(Root root, String roleName, String keyId) {
        Role role = root.roles().get(roleName);
        if (role == null || role.threshold() != 1 || !role.keyids().contains(keyId)) {
            throw new DomainError.Invalid("root_mismatch", "the root's '" + roleName
                    + "' role must list this server's online key " + keyId + " with threshold 1");
        }
    }

    /** Checks {@code md} against {@code delegator}'s root role. */
    static void verify(String what, Root delegator, Metadata<?> md) {
        try {
            Metadata.verifyThreshold(what, delegator.role("root"), delegator.keys(), md);
        } catch (RepositoryError e) {
            throw new DomainError.Invalid("unsigned_metadata", e.getMessage());
        }
    }

    /**
     * Parses metadata of a type.
     *
     * @throws DomainError.Invalid {@code malformed_metadata} when it does not parse
     */
    public static <T extends Signed> Metadata<T> parse(byte[] body, Class<T> type) {
        try {
            return Metadata.fromBytes(body, type);
        } catch (RepositoryError e) {
            throw new DomainError.Invalid("malformed_metadata", e.getMessage());
        }
    }
}
