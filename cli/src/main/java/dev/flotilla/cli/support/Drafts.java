package dev.flotilla.cli.support;

import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Signature;
import dev.flotilla.core.tuf.Signed;
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
import java.util.Locale;
import java.util.Map;

/**
 * Metadata drafts (root or targets): the next version of a role's metadata as an ordinary metadata file with
 * fewer signatures than its threshold, which each key holder signs on their own machine and which is combined
 * and published once the threshold is met. A signature counts only when it is by a key that {@link Eligible}
 * lists and verifies over the draft's canonical bytes; anything else is refused with one line naming the file
 * and the key.
 */
public final class Drafts {
    private Drafts() {
    }

    /**
     * The keys that may sign a draft, by key id.
     *
     * @param description how errors name them, as in "key X is not {@code description}" (e.g. "a targets key of
     *                    root version 3")
     */
    public record Eligible(String description, Map<String, Key> keys) {
        public Eligible {
            keys = Map.copyOf(keys);
        }

        /** The keys {@code role} lists, with their public keys from {@code keys}. */
        public static Map<String, Key> listed(Role role, Map<String, Key> keys) {
            Map<String, Key> out = new LinkedHashMap<>();
            for (String id : role.keyids()) {
                if (keys.containsKey(id)) {
                    out.put(id, keys.get(id));
                }
            }
            return out;
        }
    }

    /** Reads a metadata file of the given type; an unreadable or other file is refused naming it. */
    public static <T extends Signed> Metadata<T> read(Path file, Class<T> type) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return Metadata.fromBytes(bytes, type);
        } catch (RepositoryError e) {
            throw new IllegalArgumentException(file + ": not " + type.getSimpleName().toLowerCase(Locale.ROOT)
                    + " metadata: " + e.getMessage(), e);
        }
    }

    /**
     * Writes a draft to a new file (never over an existing one) and tells the signers what comes next.
     *
     * @param summary what the draft is, as {@code sign} shows it to signers
     * @param next    the commands that sign and publish it
     * @return exit code 0
     */
    public static int create(PrintWriter out, Path draft, Metadata<?> md, String summary, String next)
            throws IOException {
        if (Files.exists(draft)) {
            throw new FileAlreadyExistsException(draft.toString(), null, "refusing to overwrite a draft");
        }
        AtomicFiles.write(draft, md.toBytes());
        out.println("wrote the draft of " + summary + "\nto " + draft + ": " + next);
        return 0;
    }

    /** Signs the draft with each key; each must be one that {@code eligible} lists. */
    public static <T extends Signed> Metadata<T> sign(Metadata<T> draft, List<Signer> signers, Eligible eligible) {
        for (Signer s : signers) {
            if (!eligible.keys().containsKey(s.keyId())) {
                throw new IllegalArgumentException("key " + shortId(s.keyId()) + " is not " + eligible.description());
            }
            draft = draft.sign(s);
        }
        return draft;
    }

    /**
     * The draft with the signatures of every file added, after checking that each file carries the same signed
     * bytes and only valid signatures by eligible keys.
     *
     * @throws IllegalArgumentException naming the file: other bytes, a key not eligible, a signature that does
     *                                  not verify
     */
    public static <T extends Signed> Metadata<T> combine(Path draftFile, Metadata<T> draft, List<Path> signedFiles,
                                                         Class<T> type, Eligible eligible) throws IOException {
        byte[] bytes = draft.signedBytes();
        Map<String, Signature> sigs = new LinkedHashMap<>();
        List<Map.Entry<Path, Metadata<T>>> all = new ArrayList<>();
        all.add(Map.entry(draftFile, draft));
        for (Path f : signedFiles) {
            all.add(Map.entry(f, read(f, type)));
        }
        for (Map.Entry<Path, Metadata<T>> e : all) {
            Path f = e.getKey();
            Metadata<T> md = e.getValue();
            if (!Arrays.equals(md.signedBytes(), bytes)) {
                throw new IllegalArgumentException(f + ": signs different bytes than " + draftFile + " ("
                        + md.signed().type() + " version " + md.signed().version() + ", expires "
                        + md.signed().expires() + "): every signer must sign the same draft");
            }
            for (Signature s : md.signatures()) {
                Key key = eligible.keys().get(s.keyid());
                if (key == null) {
                    throw new IllegalArgumentException(f + ": signature by key " + shortId(s.keyid()) + ", which is not "
                            + eligible.description());
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

    /** Refuses a draft that is not the version after the current one ({@code current} 0: none yet). */
    public static void requireNext(Signed draft, long current) {
        if (draft.version() != current + 1) {
            throw new IllegalArgumentException("the draft is " + draft.type() + " version " + draft.version()
                    + ", but the current one is version " + current + ": make a new draft");
        }
    }

    /** {@code label: K of T required signature(s)}: how far one threshold is met. */
    public static String count(String label, Role role, Map<String, Key> keys, Metadata<?> md) {
        return label + ": " + Metadata.validSignatures(role, keys, md.signatures(), md.signedBytes()) + " of "
                + role.threshold() + " required signature(s)";
    }

    private static boolean verifies(Key key, Signature s, byte[] data) {
        try {
            byte[] sig = Hex.decode(s.sig());
            return sig.length > 0 && key.verify(sig, data);
        } catch (IllegalArgumentException | RepositoryError e) {
            return false;
        }
    }

    /** The first 12 characters of a key id, as errors and summaries show it. */
    public static String shortId(String keyid) {
        return keyid.length() > 12 ? keyid.substring(0, 12) : keyid;
    }
}
