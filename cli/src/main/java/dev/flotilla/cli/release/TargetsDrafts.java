package dev.flotilla.cli.release;

import dev.flotilla.cli.support.Drafts;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Targets drafts ({@link Drafts}): the next targets version with one release added, which each targets key
 * holder signs on their own machine ({@code release sign --draft}) and which is published once the threshold
 * of the root's targets role is met ({@code release publish --draft}). The keys that may sign are those the
 * trusted root's targets role lists.
 */
final class TargetsDrafts {
    private TargetsDrafts() {
    }

    /** Writes an unsigned targets draft to a new file and tells what comes next; exit code 0. */
    static int write(PrintWriter out, Path draft, Metadata<Targets> unsigned, String image) throws IOException {
        return Drafts.create(out, draft, unsigned, summary(unsigned.signed()), "each targets key holder signs it"
                + " with 'flotilla release sign --draft FILE --key KEY --out SIGNED'; then 'flotilla release publish"
                + " --draft FILE --signed SIGNED... --image " + image + "' publishes it");
    }

    /** The keys that may sign targets: those the root's targets role lists. */
    static Drafts.Eligible eligible(Root root) {
        return new Drafts.Eligible("a targets key of root version " + root.version(),
                Drafts.Eligible.listed(root.role("targets"), root.keys()));
    }

    /** One line: how many valid signatures of the root's targets threshold the draft has. */
    static String status(Metadata<Targets> md, Root root) {
        return Drafts.count("targets version " + md.signed().version() + " (targets keys of root version "
                + root.version() + ")", root.role("targets"), root.keys(), md);
    }

    /** Refuses a draft short of the root's targets threshold. */
    static void requireThreshold(Metadata<Targets> md, Root root) {
        Metadata.verifyThreshold("targets version " + md.signed().version(), root.role("targets"), root.keys(), md);
    }

    /** What a signer should check before signing: the version, expiry and every target with its firmware fields. */
    static String summary(Targets t) {
        StringBuilder b = new StringBuilder("targets version " + t.version() + ", expires " + t.expires() + ", "
                + t.targets().size() + " target(s):");
        t.targets().forEach((path, f) -> b.append("\n  ").append(path).append(": ").append(firmware(f))
                .append(f.length()).append(" bytes, sha256 ").append(f.sha256()));
        return b.toString();
    }

    /**
     * The one release the draft adds to {@code current} (null before the first release), which must be the
     * draft's only change of targets and delegations.
     */
    static Map.Entry<String, TargetFile> added(Targets draft, Targets current) {
        Map<String, TargetFile> rest = new LinkedHashMap<>(draft.targets());
        Map<String, TargetFile> before = current == null ? Map.of() : current.targets();
        before.forEach((path, f) -> {
            TargetFile kept = rest.remove(path);
            if (kept == null || !kept.toJson().equals(f.toJson())) {
                throw new IllegalArgumentException("the draft changes or drops target '" + path + "' of targets version "
                        + current.version() + ": a draft for 'release publish' adds one release and keeps the rest");
            }
        });
        if (rest.size() != 1 || current != null
                && !Objects.equals(draft.toJson().get("delegations"), current.toJson().get("delegations"))) {
            throw new IllegalArgumentException("the draft adds " + rest.size() + " target(s)"
                    + (rest.size() == 1 ? " and changes the delegations" : "") + ": a draft for 'release publish'"
                    + " adds exactly one release to the current targets");
        }
        return rest.entrySet().iterator().next();
    }

    private static String firmware(TargetFile f) {
        try {
            FirmwareInfo i = FirmwareInfo.fromTarget(f);
            return "version " + i.version() + " for " + i.hardwareIds() + ", security version " + i.securityVersion()
                    + ", ";
        } catch (RepositoryError e) {
            return "";
        }
    }
}
