package dev.flotilla.agent.install;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An image's bytes from an ordered list of sources (the configured image mirrors, then the update server):
 * each source is a {@link RangeDownload} from the byte the previous one reached, and a source that fails
 * (refused connection, timeout, 5xx after its retries, 404 or 403 at once) hands over to the next. Any host may
 * serve any part of the image: the agent hashes the whole slot against the signed TUF target afterwards, so a
 * mirror that serves other bytes costs a failed verification, never a wrong install. Only when the last
 * source fails too does reading fail, naming every source's error.
 */
public final class MirroredDownload extends InputStream {
    /** Opens one source from a byte offset. */
    @FunctionalInterface
    public interface Opener {
        RangeDownload open(URI url, long offset, boolean last);
    }

    private final List<URI> sources;
    private final long length;
    private final Opener opener;
    private final Consumer<String> log;
    private final List<String> failures = new ArrayList<>();
    private int index;
    private long pos;
    private RangeDownload current;

    /** @param sources tried in order; at least one */
    public MirroredDownload(List<URI> sources, long offset, long length, Opener opener, Consumer<String> log) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no source for the image");
        }
        this.sources = List.copyOf(sources);
        this.pos = offset;
        this.length = length;
        this.opener = opener;
        this.log = log;
    }

    /** The source now in use (for tests and logs). */
    public URI source() {
        return sources.get(index);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            if (pos >= length) {
                return -1;
            }
            if (current == null) {
                current = opener.open(sources.get(index), pos, index == sources.size() - 1);
            }
            try {
                int n = current.read(b, off, len);
                if (n > 0) {
                    pos += n;
                }
                return n;
            } catch (IOException e) {
                pos = current.position();
                current.close();
                current = null;
                failures.add(sources.get(index) + ": " + e.getMessage());
                if (index == sources.size() - 1) {
                    throw new IOException("the image could not be downloaded from any source: "
                            + String.join("; ", failures), e);
                }
                index++;
                log.accept("image download failed at byte " + pos + " (" + e.getMessage() + "); going on from "
                        + sources.get(index));
            }
        }
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
