package dev.flotilla.server.releases;

import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signature;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Releases together with what the current targets metadata signs for them: hardware ids, firmware
 * security version, and the key ids of the targets signatures. Reads only. The dashboard's releases page, the
 * fleet overview and {@code GET /api/v1/releases/{targetPath}} read through it.
 */
public final class ReleaseDetails {
    /**
     * A release and its signed firmware fields; {@code hardwareIds} empty and {@code securityVersion} null
     * when the current targets metadata does not list it (or lists it without valid firmware fields).
     */
    public record Detail(Release release, List<String> hardwareIds, Long securityVersion, List<String> signedBy) {
    }

    private final Jdbi jdbi;
    private final TufStore store;

    public ReleaseDetails(Jdbi jdbi, TufStore store) {
        this.jdbi = jdbi;
        this.store = store;
    }

    /** Every release, newest first, with its signed details. */
    public List<Detail> all() {
        return jdbi.withHandle(this::all);
    }

    /** Every release, newest first, with its signed details, read on {@code h}. */
    public List<Detail> all(Handle h) {
        Optional<Metadata<Targets>> targets = currentTargets(h);
        List<String> signedBy = signedBy(targets);
        Map<String, TargetFile> entries = targets.map(t -> t.signed().targets()).orElse(Map.of());
        return h.createQuery("SELECT * FROM releases ORDER BY created_at DESC, target_path")
                .map((rs, ctx) -> new Release(rs.getString("target_path"), rs.getLong("length"),
                        rs.getString("sha256"), rs.getString("sha512"), rs.getString("version"),
                        rs.getLong("targets_version"), Instant.ofEpochMilli(rs.getLong("created_at")).toString()))
                .list().stream()
                .map(r -> detail(r, entries.get(r.targetPath()), signedBy))
                .toList();
    }

    /**
     * The release published under {@code targetPath}, with its signed details.
     *
     * @throws DomainError.NotFound when no release has that target path
     */
    public Detail get(String targetPath) {
        return jdbi.withHandle(h -> {
            Release r = ReleaseService.find(h, targetPath)
                    .orElseThrow(() -> new DomainError.NotFound("release '" + targetPath + "'"));
            Optional<Metadata<Targets>> targets = currentTargets(h);
            return detail(r, targets.map(t -> t.signed().targets().get(targetPath)).orElse(null), signedBy(targets));
        });
    }

    private Optional<Metadata<Targets>> currentTargets(Handle h) {
        return store.latest(h, "targets").map(s -> Metadata.fromBytes(s.bytes(), Targets.class));
    }

    private static List<String> signedBy(Optional<Metadata<Targets>> targets) {
        return targets.map(t -> t.signatures().stream().map(Signature::keyid).toList()).orElse(List.of());
    }

    /** The highest security version the current releases of each hardware id carry. */
    public static Map<String, Long> newestSecurityVersions(List<Detail> details) {
        Map<String, Long> out = new HashMap<>();
        for (Detail d : details) {
            if (d.securityVersion() != null) {
                d.hardwareIds().forEach(hw -> out.merge(hw, d.securityVersion(), Math::max));
            }
        }
        return out;
    }

    private static Detail detail(Release r, TargetFile entry, List<String> signedBy) {
        if (entry == null) {
            return new Detail(r, List.of(), null, List.of());
        }
        try {
            FirmwareInfo info = FirmwareInfo.fromTarget(entry);
            return new Detail(r, info.hardwareIds(), info.securityVersion(), signedBy);
        } catch (RuntimeException e) {
            return new Detail(r, List.of(), null, signedBy);
        }
    }
}
