package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.JsonOutput;
import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerMetadata;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;

/**
 * {@code flotilla release download NAME}: fetches the image of the release {@code NAME} to a file, checked against
 * the length and sha256 the server's current signed targets metadata lists for it (with {@code --expect-key}, that
 * metadata must carry a valid signature by each of those targets keys, so that a server cannot hand over an image
 * the release keys did not sign). The bytes go to {@code FILE.part}; an interrupted download resumes from there with a
 * {@code Range} request, never past the signed length. Only a complete, matching file is fsynced and renamed to
 * {@code FILE}; a mismatch deletes the part and changes nothing else.
 */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = "Download a release's image, checked against the signed targets metadata (resumable).",
        footer = {"", "Examples:",
                "  flotilla release download fw-1.1.0.img",
                "  flotilla release download fw-1.1.0.img --out /tmp/fw.img \\",
                "      --expect-key keys/targets.pub.json"})
public final class ReleaseDownloadCommand extends ToolCommand {
    /** The server and an API token (any role may download). */
    @picocli.CommandLine.Mixin
    ServerOptions connection;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ReleaseName release;

    /** The release's target path (from {@link #release}, read once at the start). */
    private String name;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Where to write the image (default: the target path's file name in the current folder)")
    Path out;

    @Option(names = "--expect-key", arity = "1..*", paramLabel = "PUBLIC",
            description = "Targets public key files: the targets metadata must carry a valid signature by each")
    List<Path> expectKeys;

    @Option(names = "--no-progress", description = "Do not show a progress bar")
    boolean noProgress;

    @picocli.CommandLine.Mixin
    JsonOutput json;

    @Override
    protected int execute() throws Exception {
        name = release.value(spec);
        ServerClient client = connection.client();
        TargetFile entry = signedEntry(client);
        Path file = out != null ? out : Path.of(Path.of(name).getFileName().toString());
        Path part = file.resolveSibling(file.getFileName() + ".part");
        long resumed = Files.exists(part) ? Files.size(part) : 0;
        if (resumed > entry.length()) {
            Files.delete(part); // longer than the signed length: not a prefix of this image
            resumed = 0;
        }
        MessageDigest sha256 = prefixDigest(part, resumed);
        resumed = fetch(client, entry, part, resumed, sha256);
        verify(entry, part, sha256);
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return report(file, entry, resumed);
    }

    /** The release's entry in the server's current targets, signed by the expected keys when given. */
    private TargetFile signedEntry(ServerClient client) throws IOException {
        Metadata<Targets> targets = ServerMetadata.currentTargets(client).orElseThrow(() ->
                new IllegalStateException("the server has no targets metadata: nothing has been released"));
        if (expectKeys != null) {
            ServerMetadata.requireSignedBy(targets, KeyArgs.publicKeys(expectKeys), "the server's current targets",
                    "refusing to download");
        }
        TargetFile entry = targets.signed().targets().get(name);
        if (entry == null) {
            throw new IllegalArgumentException("the server's current targets (version " + targets.signed().version()
                    + ") do not list '" + name + "'; 'flotilla release list' shows the releases");
        }
        if (entry.sha256() == null) {
            throw new IllegalStateException("the targets metadata lists no sha256 for '" + name + "'");
        }
        return entry;
    }

    /** The sha256 state after the first {@code length} bytes of {@code part} (what an earlier run fetched). */
    private static MessageDigest prefixDigest(Path part, long length) throws IOException {
        MessageDigest sha256 = newSha256();
        if (length > 0) {
            try (InputStream in = new DigestInputStream(Files.newInputStream(part), sha256)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }
        return sha256;
    }

    /**
     * Appends the rest of the image to {@code part}, hashing it, stopping at the signed length; returns the byte it
     * resumed at (0 when the server sent the whole image instead of the range asked for).
     */
    private long fetch(ServerClient client, TargetFile entry, Path part, long from, MessageDigest sha256)
            throws IOException {
        if (from == entry.length()) {
            return from;
        }
        int slash = name.lastIndexOf('/'); // consistent snapshots: DIR/HASH.NAME, as a device fetches it
        String path = "/tuf/targets/" + name.substring(0, slash + 1) + entry.sha256() + "." + name.substring(slash + 1);
        HttpResponse<InputStream> r = client.stream(path, from);
        boolean append = from > 0 && r.statusCode() == 206;
        if (!append) {
            sha256.reset(); // the server sent the whole image
        }
        long remaining = entry.length() - (append ? from : 0);
        try (InputStream body = r.body();
             InputStream in = progress(new DigestInputStream(body, sha256), entry.length(), append ? from : 0);
             OutputStream o = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            long copied = copyAtMost(in, o, remaining + 1);
            if (copied > remaining) {
                throw mismatch("the server sent more than the signed length of " + entry.length() + " bytes");
            }
        }
        return append ? from : 0;
    }

    private InputStream progress(InputStream in, long length, long done) {
        if (noProgress || json.given()) {
            return in;
        }
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName("download " + name).setInitialMax(length)
                .startsFrom(done, java.time.Duration.ZERO).setUnit(" KiB", 1024).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err));
        return ProgressBar.wrap(in, bar);
    }

    private static long copyAtMost(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while (total < limit && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) > 0) {
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    /** Checks the part against the signed entry; on a mismatch deletes it and throws. */
    private void verify(TargetFile entry, Path part, MessageDigest sha256) throws IOException {
        try {
            entry.verifyDigests(Files.size(part), Map.of("sha256", sha256.digest()), name);
        } catch (RepositoryError e) {
            Files.deleteIfExists(part);
            throw mismatch(e.getMessage() + "; the partial file was deleted, nothing was written");
        }
    }

    private static IllegalStateException mismatch(String message) {
        return new IllegalStateException("the image does not match the signed targets metadata: " + message);
    }

    private int report(Path file, TargetFile entry, long resumed) throws IOException {
        if (json.given()) {
            ObjectNode o = CanonicalJson.mapper().createObjectNode().put("targetPath", name)
                    .put("file", file.toAbsolutePath().toString()).put("length", entry.length())
                    .put("sha256", entry.sha256()).put("resumedFrom", resumed);
            json.print(out(), o);
            return 0;
        }
        out().println("downloaded " + name + " to " + file + " (" + entry.length() + " bytes, sha256 " + entry.sha256()
                + (resumed > 0 ? ", resumed at byte " + resumed : "") + "), matching the signed targets metadata");
        return 0;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
