package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.Drafts;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Root drafts ({@link Drafts}): the next root version, which each root key holder signs on their own machine
 * ({@code trust sign}) and which is combined and published once the thresholds are met ({@code trust publish}).
 * The keys that may sign are those the draft's root role or the previous root's lists.
 */
final class RootDrafts {
    private RootDrafts() {
    }

    /** Reads a root metadata file. */
    static Metadata<Root> read(Path file) throws IOException {
        return Drafts.read(file, Root.class);
    }

    /**
     * Writes an unsigned root as a new draft file (never over an existing one) and tells what comes next.
     *
     * @return exit code 0
     */
    static int write(PrintWriter out, Path draft, Metadata<Root> unsigned) throws IOException {
        return Drafts.create(out, draft, unsigned, summary(unsigned.signed()), "each root key holder signs it with"
                + " 'flotilla trust sign --draft FILE --key KEY --out SIGNED'; then 'flotilla trust publish --draft FILE"
                + " --signed SIGNED...' publishes it");
    }

    /** Signs the draft with each key; each must be a root key of the draft or of {@code previous} (may be null). */
    static Metadata<Root> sign(Metadata<Root> draft, List<Signer> signers, Root previous) {
        return Drafts.sign(draft, signers, eligible(draft.signed(), previous));
    }

    /**
     * The draft with the signatures of every file added ({@link Drafts#combine}); the keys of the draft's root
     * role and of the previous root's (may be null) may sign.
     */
    static Metadata<Root> combine(Path draftFile, Metadata<Root> draft, List<Path> signedFiles, Root previous)
            throws IOException {
        return Drafts.combine(draftFile, draft, signedFiles, Root.class, eligible(draft.signed(), previous));
    }

    /** Checks the draft's own root threshold and, for a new version, the previous root's. */
    static void requireThresholds(Metadata<Root> root, Root previous) {
        long v = root.signed().version();
        if (previous != null) {
            Drafts.requireNext(root.signed(), previous.version());
        }
        Metadata.verifyThreshold("root version " + v, root.signed().role("root"), root.signed().keys(), root);
        if (previous != null) {
            Metadata.verifyThreshold("root version " + v + " (by the keys of root version " + previous.version() + ")",
                    previous.role("root"), previous.keys(), root);
        }
    }

    /** One line: how many valid signatures the draft has of each threshold. */
    static String status(Metadata<Root> root, Root previous) {
        Root r = root.signed();
        String s = Drafts.count("root version " + r.version(), r.role("root"), r.keys(), root);
        if (previous != null) {
            s += "; " + Drafts.count("by the keys of version " + previous.version(), previous.role("root"),
                    previous.keys(), root);
        }
        return s;
    }

    /** What a signer should check before signing: the draft's roles and keys. */
    static String summary(Root r) {
        StringBuilder b = new StringBuilder("root version " + r.version() + ", expires " + r.expires());
        r.roles().forEach((name, role) -> b.append("\n  ").append(name).append(": ").append(role.threshold())
                .append(" of ").append(role.keyids().stream().map(Drafts::shortId).toList()));
        return b.toString();
    }

    /** The draft's root keys, then the previous root's (may be null) that the draft no longer lists. */
    private static Drafts.Eligible eligible(Root draft, Root previous) {
        Map<String, Key> keys = new LinkedHashMap<>();
        if (previous != null) {
            keys.putAll(Drafts.Eligible.listed(previous.role("root"), previous.keys()));
        }
        keys.putAll(Drafts.Eligible.listed(draft.role("root"), draft.keys()));
        return new Drafts.Eligible("a root key of root version " + draft.version()
                + (previous != null ? " nor of version " + previous.version() : ""), keys);
    }

    /**
     * What {@code --json} prints for a root written to {@code file}: the file, its {@code version}, {@code expires},
     * the key ids of its {@code signatures}, {@code validSignatures} and {@code threshold} by its own root role and,
     * when {@code previous} is not null, {@code previous} (its {@code version} and the same count by its root role).
     */
    static ObjectNode result(Path file, Metadata<Root> md, Root previous) {
        Root r = md.signed();
        ObjectNode result = ResultJson.signed(file, md, r.version(), r.expires().toString());
        result.setAll(ResultJson.count(r.role("root"), r.keys(), md));
        if (previous != null) {
            result.set("previous", ResultJson.count(previous.role("root"), previous.keys(), md)
                    .put("version", previous.version()));
        }
        return result;
    }
}
