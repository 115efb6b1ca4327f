package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;
import dev.flotilla.core.tuf.client.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A repository directory with consistent-snapshot names, as TUF clients fetch it:
 * {@code N.root.json} for every root version and {@code root.json} (the newest), {@code timestamp.json},
 * {@code V.snapshot.json}, {@code V.ROLE.json} for targets and each delegated role, and each target's
 * bytes as {@code targets/DIR/HASH.NAME} once per listed hash.
 *
 * <p>Clients request {@code V.ROLE.json} with the role name percent-encoded (python-tuf's
 * {@code quote(name, '')}). A static file server decodes that URL, a raw one does not; so for a role name
 * with characters outside {@code [A-Za-z0-9._~-]} the file is written under both names (the decoded one
 * is what {@link #load} reads). Role names never contain {@code /} (see {@link Repository#delegate}).
 */
public final class RepositoryLayout {
    private static final Pattern ROOT_FILE = Pattern.compile("(\\d+)\\.root\\.json");

    private RepositoryLayout() {
    }

    /**
     * Writes the repository: staged target bytes first, then targets roles, snapshot, root files and
     * timestamp last (so a client reading while this runs sees the old or the new timestamp). Roles never
     * signed (no signature at all) are skipped. Everything is checked before the first byte is written.
     *
     * @throws SigningException      when root, or a role carrying signatures, misses its threshold
     * @throws IllegalStateException when a versioned file exists with other content (versions are never reused)
     * @throws IOException           when writing fails, or a target's bytes no longer match its entry
     */
    public static void write(Repository repo, Path dir) throws IOException {
        Map<String, Metadata<?>> files = plan(repo, dir);
        for (Map.Entry<String, Metadata<?>> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            if (!e.getKey().equals("root.json") && !e.getKey().equals("timestamp.json") && Files.isRegularFile(p)) {
                throw new IllegalStateException(p + " already exists with other content (a version was reused)");
            }
        }
        Set<String> checked = new java.util.HashSet<>();
        for (Map.Entry<String, Metadata<?>> e : files.entrySet()) {
            String role = e.getValue().signed() instanceof Targets ? roleOf(repo, e.getValue()) : e.getValue().signed().type();
            if (checked.add(role)) {
                repo.requireSigned(role);
            }
        }
        Files.createDirectories(dir);
        for (Repository.StagedTarget t : repo.stagedTargets().values()) {
            TargetWriter.write(dir.resolve("targets"), t);
        }
        for (Map.Entry<String, Metadata<?>> e : files.entrySet()) {
            AtomicFiles.write(dir.resolve(e.getKey()), e.getValue().toBytes());
        }
        repo.clearStaged();
    }

    private static String roleOf(Repository repo, Metadata<?> md) {
        for (String role : repo.targetsRoleNames()) {
            if (repo.targets(role) == md) {
                return role;
            }
        }
        throw new IllegalStateException("metadata of no known role");
    }

    /**
     * The metadata files that differ from the directory's, in write order. Files already present with the
     * same bytes are left alone (and not re-checked: e.g. a timestamp signed by a key that the new root
     * replaced stays until the server signs a new one).
     */
    private static Map<String, Metadata<?>> plan(Repository repo, Path dir) throws IOException {
        repo.requireSigned("root");
        Map<String, Metadata<?>> files = new LinkedHashMap<>();
        for (String role : repo.targetsRoleNames()) {
            addIfSigned(repo, role, files);
        }
        addIfSigned(repo, "snapshot", files);
        for (Metadata<Root> root : repo.rootHistory()) {
            files.put(Names.metadataFile("root", root.signed().version()), root);
        }
        files.put("root.json", repo.root());
        repo.timestamp().filter(md -> !md.signatures().isEmpty()).ifPresent(md -> files.put("timestamp.json", md));
        Map<String, Metadata<?>> changed = new LinkedHashMap<>();
        for (Map.Entry<String, Metadata<?>> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            if (!Files.isRegularFile(p) || !Arrays.equals(Files.readAllBytes(p), e.getValue().toBytes())) {
                changed.put(e.getKey(), e.getValue());
            }
        }
        return changed;
    }

    private static void addIfSigned(Repository repo, String role, Map<String, Metadata<?>> files) {
        repo.metadata(role).filter(md -> !md.signatures().isEmpty()).ifPresent(md -> {
            files.put(Names.decodedMetadataFile(role, md.signed().version()), md);
            files.put(Names.metadataFile(role, md.signed().version()), md);
        });
    }

    /**
     * Loads the newest metadata of every role from a directory written by {@link #write} and checks every
     * signature threshold (each root version against itself and its predecessor). Roles with no file yet
     * (e.g. targets right after {@code trust init}) start as empty unsigned drafts.
     *
     * @throws IOException      when the directory or a file cannot be read, or no root exists
     * @throws RepositoryError  when a file is malformed or not signed to its threshold
     */
    public static Repository load(Path dir, Clock clock, ExpiryPolicy expiry) throws IOException {
        Set<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        List<Metadata<Root>> roots = loadRoots(dir, names);
        Map<String, Metadata<Targets>> roles = new LinkedHashMap<>();
        Map<String, String> parents = new LinkedHashMap<>();
        Deque<String> todo = new ArrayDeque<>(List.of("targets"));
        while (!todo.isEmpty()) {
            String role = todo.poll();
            Metadata<Targets> md = latest(dir, names, role, Targets.class);
            if (md == null) {
                md = Metadata.of(new Targets(Signed.SPEC_VERSION, 1, clock.instant().plus(expiry.forRole(role)),
                        Map.of(), null, Map.of()));
            }
            roles.put(role, md);
            Delegations d = md.signed().delegations();
            if (d != null) {
                List<String> children = d.roles() != null
                        ? d.roles().stream().map(r -> r.name()).toList() : d.succinctRoles().allBinNames();
                for (String child : children) {
                    if (!roles.containsKey(child) && !todo.contains(child)) {
                        parents.put(child, role);
                        todo.add(child);
                    }
                }
            }
        }
        Metadata<Snapshot> snapshot = latest(dir, names, "snapshot", Snapshot.class);
        Metadata<Timestamp> timestamp = names.contains("timestamp.json")
                ? Metadata.fromBytes(Files.readAllBytes(dir.resolve("timestamp.json")), Timestamp.class) : null;
        Repository repo = new Repository(clock, expiry, roots, roles, parents, snapshot, timestamp);
        verify(repo, dir);
        return repo;
    }

    private static List<Metadata<Root>> loadRoots(Path dir, Set<String> names) throws IOException {
        List<Long> versions = new ArrayList<>();
        for (String n : names) {
            Matcher m = ROOT_FILE.matcher(n);
            if (m.matches()) {
                versions.add(Long.parseLong(m.group(1)));
            }
        }
        versions.sort(null);
        if (versions.isEmpty()) {
            throw new IOException(dir + " holds no N.root.json: not a repository directory");
        }
        List<Metadata<Root>> roots = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i) != i + 1) {
                throw new IOException(dir + ": root versions are not 1.." + versions.size() + " without gaps");
            }
            Metadata<Root> md = Metadata.fromBytes(Files.readAllBytes(dir.resolve((i + 1) + ".root.json")), Root.class);
            if (md.signed().version() != i + 1) {
                throw new RepositoryError(RepositoryError.Reason.BAD_VERSION, dir + "/" + (i + 1)
                        + ".root.json holds version " + md.signed().version());
            }
            roots.add(md);
        }
        return roots;
    }

    private static <T extends Signed> Metadata<T> latest(Path dir, Set<String> names, String role, Class<T> type)
            throws IOException {
        Pattern p = Pattern.compile("(\\d+)\\." + Pattern.quote(role) + "\\.json");
        OptionalLong newest = names.stream().map(p::matcher).filter(Matcher::matches)
                .mapToLong(m -> Long.parseLong(m.group(1))).max();
        if (newest.isEmpty()) {
            return null;
        }
        String file = Names.decodedMetadataFile(role, newest.getAsLong());
        Metadata<T> md = Metadata.fromBytes(Files.readAllBytes(dir.resolve(file)), type);
        if (md.signed().version() != newest.getAsLong()) {
            throw new RepositoryError(RepositoryError.Reason.BAD_VERSION, dir + "/" + file + " holds version "
                    + md.signed().version());
        }
        return md;
    }

    /**
     * Checks the root chain, and that every loaded role was validly signed when published: delegated roles
     * by their delegator's current keys, top-level roles by the keys of some root version (a key rotation
     * leaves them signed by the previous keys until they are signed again).
     */
    private static void verify(Repository repo, Path dir) {
        List<Metadata<Root>> roots = repo.rootHistory();
        try {
            for (int i = 0; i < roots.size(); i++) {
                Root own = roots.get(i).signed();
                Metadata.verifyThreshold("root version " + own.version(), own.role("root"), own.keys(), roots.get(i));
                if (i > 0) {
                    Root prev = roots.get(i - 1).signed();
                    Metadata.verifyThreshold("root version " + own.version() + " (by root version " + prev.version() + ")",
                            prev.role("root"), prev.keys(), roots.get(i));
                }
            }
            List<String> roles = new ArrayList<>(repo.targetsRoleNames());
            roles.add("snapshot");
            roles.add("timestamp");
            for (String role : roles) {
                var md = repo.metadata(role).orElse(null);
                if (md == null || md.signatures().isEmpty()) {
                    continue;
                }
                if ("root".equals(repo.delegatorOf(role))) {
                    verifyByAnyRoot(role, roots, md);
                } else {
                    repo.requireSigned(role);
                }
            }
        } catch (SigningException e) {
            throw new RepositoryError(RepositoryError.Reason.UNSIGNED, dir + ": " + e.getMessage());
        }
    }

    private static void verifyByAnyRoot(String role, List<Metadata<Root>> roots, Metadata<? extends Signed> md) {
        RepositoryError last = null;
        for (int i = roots.size() - 1; i >= 0; i--) {
            Root root = roots.get(i).signed();
            try {
                Metadata.verifyThreshold(role, root.role(role), root.keys(), md);
                return;
            } catch (RepositoryError e) {
                last = last == null ? e : last;
            }
        }
        throw last;
    }
}
