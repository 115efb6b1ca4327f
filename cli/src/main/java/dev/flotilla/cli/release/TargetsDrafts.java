package dev.flotilla.cli.release;

import dev.flotilla.cli.support.Drafts;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Targets drafts ({@link Drafts}): the next targets version with one release added ({@code release publish
 * --draft}), one dropped ({@code release delete --draft}) or none ({@code release refresh --draft}), which each
 * targets key holder signs on their own machine ({@code release sign --draft}) and which is published once the
 * threshold of the root's targets role is met ({@code release publish --draft}). The keys that may sign are those the
 * trusted root's targets role lists.
 */
final class TargetsDrafts {
    private TargetsDrafts() {
    }

    /** Writes an unsigned targets draft to a new file and tells what comes next; exit code 0. */
    static int write(PrintWriter out, Path draft, Metadata<Targets> unsigned, Path image) throws IOException {
        return Drafts.create(out, draft, unsigned, summary(unsigned.signed()), "each targets key holder signs it"
                + " with 'flotilla release sign --draft FILE --key KEY --out SIGNED'; then 'flotilla release publish"
                + " --draft FILE --signed SIGNED..." + (image != null ? " --image " + image : "") + "' publishes it");
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

    /** The server's current root, which names the targets keys. */
    static Root serverRoot(ServerClient client) throws IOException {
        return ServerMetadata.currentRoot(client).map(Metadata::signed).orElseThrow(() -> new IllegalStateException(
                "the server has no root yet: use 'flotilla trust init --server'"));
    }

    /**
     * Before a draft is made on top of the server's current targets (no targets key at hand): they must meet the
     * threshold of the server's root's targets role.
     */
    static void requireCurrentSigned(ServerClient client, Metadata<Targets> current) throws IOException {
        try {
            requireThreshold(current, serverRoot(client));
        } catch (RepositoryError e) {
            throw new IllegalStateException("the server's current " + e.getMessage() + "; refusing to draft on top of it",
                    e);
        }
    }

    /** What a signer should check before signing: the version, expiry and every target with its firmware fields. */
    static String summary(Targets t) {
        StringBuilder b = new StringBuilder("targets version " + t.version() + ", expires " + t.expires() + ", "
                + t.targets().size() + " target(s):");
        t.targets().forEach((path, f) -> b.append("\n  ").append(path).append(": ").append(firmware(f))
                .append(f.length()).append(" bytes, sha256 ").append(f.sha256()));
        return b.toString();
    }

    /** What a targets draft changes in the current targets: one release added, one dropped, or none (a refresh). */
    sealed interface Change {
        /** Adds {@code path}, whose image must be uploaded with the targets. */
        record Added(String path, TargetFile file) implements Change {
        }

        /** Drops {@code path}: the release is deleted. */
        record Dropped(String path) implements Change {
        }

        /** Lists the same targets: a re-signing with a later expiry. */
        record Unchanged() implements Change {
        }
    }

    /**
     * What the draft changes in {@code current} (null before the first release): it may add one release, drop one
     * or change none; a changed target, a changed delegation or any other mix is refused.
     */
    static Change change(Targets draft, Targets current) {
        Map<String, TargetFile> added = new LinkedHashMap<>(draft.targets());
        List<String> dropped = new ArrayList<>();
        Map<String, TargetFile> before = current == null ? Map.of() : current.targets();
        before.forEach((path, f) -> {
            TargetFile kept = added.remove(path);
            if (kept == null) {
                dropped.add(path);
            } else if (!kept.toJson().equals(f.toJson())) {
                throw new IllegalArgumentException("the draft changes target '" + path + "' of targets version "
                        + current.version() + ": a published target never changes");
            }
        });
        if (current != null && !Objects.equals(draft.toJson().get("delegations"), current.toJson().get("delegations"))) {
            throw new IllegalArgumentException("the draft changes the delegations of targets version " + current.version());
        }
        if (added.size() == 1 && dropped.isEmpty()) {
            Map.Entry<String, TargetFile> e = added.entrySet().iterator().next();
            return new Change.Added(e.getKey(), e.getValue());
        }
        if (added.isEmpty() && dropped.size() <= 1) {
            return dropped.isEmpty() ? new Change.Unchanged() : new Change.Dropped(dropped.getFirst());
        }
        throw new IllegalArgumentException("the draft adds " + added.size() + " and drops " + dropped.size()
                + " target(s): a targets draft adds one release, drops one, or keeps them all (a refresh)");
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
