package dev.flotilla.cli.trust;

import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signature;
import dev.flotilla.core.tuf.Signer;

import dev.flotilla.core.tuf.client.AtomicFiles;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Root drafts: the next root version as a metadata file that each root key holder signs on their own machine
 * ({@code trust sign}) and that is combined and published once the thresholds are met ({@code trust publish}).
 * A signature counts only when it is by a key that the draft's root role or the previous root's lists and verifies
 * over the draft's canonical bytes; anything else is refused with one line naming the file and the key.
 */
final class RootDrafts {
    private RootDrafts() {
    }

    /** Reads a root metadata file ({@code what} names it in errors). */
    static Metadata<Root> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return Metadata.fromBytes(bytes, Root.class);
        } catch (RepositoryError e) {
            throw new IllegalArgumentException(file + ": not root metadata: " + e.getMessage(), e);
        }
    }

    /**
     * Writes an unsigned root as a new draft file (never over an existing one) and tells what comes next.
     *
     * @return exit code 0
     */
    static int write(PrintWriter out, Path draft, Metadata<Root> unsigned) throws IOException {
        if (Files.exists(draft)) {
            throw new FileAlreadyExistsException(draft.toString(), null, "refusing to overwrite a draft");
        }
        AtomicFiles.write(draft, unsigned.toBytes());
        out.println("wrote the draft of " + summary(unsigned.signed()) + "\nto " + draft + ": each root key holder"
                + " signs it with 'flotilla trust sign --draft FILE --key KEY --out SIGNED'; then 'flotilla trust"
                + " publish --draft FILE --signed SIGNED...' publishes it");
        return 0;
    }

    /** Signs the draft with each key; each must be a root key of the draft or of {@code previous} (may be null). */
    static Metadata<Root> sign(Metadata<Root> draft, List<Signer> signers, Root previous) {
        for (Signer s : signers) {
            if (!listed(draft.signed(), previous, s.keyId())) {
                throw new IllegalArgumentException("key " + shortId(s.keyId()) + " is not a root key of root version "
                        + draft.signed().version() + (previous != null ? " nor of version " + previous.version() : ""));
            }
            draft = draft.sign(s);
        }
        return draft;
    }

    /**
     * The draft with the signatures of every file added, after checking that each file carries the same signed
     * bytes and only valid signatures by listed root keys.
     *
     * @throws IllegalArgumentException naming the file: other bytes, a key no root lists, a signature that does
     *                                  not verify, two different signatures by one key
     */
    static Metadata<Root> combine(Path draftFile, Metadata<Root> draft, List<Path> signedFiles, Root previous)
            throws IOException {
        byte[] bytes = draft.signedBytes();
        Map<String, Signature> sigs = new LinkedHashMap<>();
        List<Map.Entry<Path, Metadata<Root>>> all = new ArrayList<>();
        all.add(Map.entry(draftFile, draft));
        for (Path f : signedFiles) {
            all.add(Map.entry(f, read(f)));
        }
        for (Map.Entry<Path, Metadata<Root>> e : all) {
            Path f = e.getKey();
            Metadata<Root> md = e.getValue();
            if (!Arrays.equals(md.signedBytes(), bytes)) {
                throw new IllegalArgumentException(f + ": signs different bytes than " + draftFile + " (root version "
                        + md.signed().version() + ", expires " + md.signed().expires() + "): every signer must sign the"
                        + " same draft");
            }
            for (Signature s : md.signatures()) {
                Key key = keyOf(draft.signed(), previous, s.keyid());
                if (key == null) {
                    throw new IllegalArgumentException(f + ": signature by key " + shortId(s.keyid()) + ", which root"
                            + " version " + draft.signed().version() + " does not list"
                            + (previous != null ? " (nor version " + previous.version() + ")" : ""));
                }
                if (!verifies(key, s, bytes)) {
                    throw new IllegalArgumentException(f + ": the signature by key " + shortId(s.keyid())
                            + " does not verify over the draft's bytes");
                }
                sigs.putIfAbsent(s.keyid(), s);
            }
        }
        return draft.withSignatures(List.copyOf(sigs.values()));
    }

    /** Checks the draft's own root threshold and, for a new version, the previous root's. */
    static void requireThresholds(Metadata<Root> root, Root previous) {
        long v = root.signed().version();
        if (previous != null && v != previous.version() + 1) {
            throw new IllegalArgumentException("the draft is root version " + v + ", but the current root is version "
                    + previous.version() + ": make a new draft");
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
        String s = "root version " + r.version() + ": " + count(r, root) + " of " + r.role("root").threshold()
                + " required signature(s)";
        if (previous != null) {
            s += "; by the keys of version " + previous.version() + ": " + count(previous, root) + " of "
                    + previous.role("root").threshold();
        }
        return s;
    }

    /** What a signer should check before signing: the draft's roles and keys. */
    static String summary(Root r) {
        StringBuilder b = new StringBuilder("root version " + r.version() + ", expires " + r.expires());
        r.roles().forEach((name, role) -> b.append("\n  ").append(name).append(": ").append(role.threshold())
                .append(" of ").append(role.keyids().stream().map(RootDrafts::shortId).toList()));
        return b.toString();
    }

    private static int count(Root keysOf, Metadata<Root> md) {
        Role role = keysOf.role("root");
        return Metadata.validSignatures(role, keysOf.keys(), md.signatures(), md.signedBytes());
    }

    private static boolean listed(Root draft, Root previous, String keyid) {
        return draft.role("root").keyids().contains(keyid)
                || previous != null && previous.role("root").keyids().contains(keyid);
    }

    private static Key keyOf(Root draft, Root previous, String keyid) {
        if (draft.role("root").keyids().contains(keyid)) {
            return draft.keys().get(keyid);
        }
        return previous != null && previous.role("root").keyids().contains(keyid) ? previous.keys().get(keyid) : null;
    }

    private static boolean verifies(Key key, Signature s, byte[] data) {
        try {
            byte[] sig = Hex.decode(s.sig());
            return sig.length > 0 && key != null && key.verify(sig, data);
        } catch (IllegalArgumentException | RepositoryError e) {
            return false;
        }
    }

    static String shortId(String keyid) {
        return keyid.length() > 12 ? keyid.substring(0, 12) : keyid;
    }
}
