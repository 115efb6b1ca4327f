package dev.flotilla.server.releases;

import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams an image from the artifact store with HTTP range support (RFC 9110): a single {@code bytes=} range gets 206 with
 * {@code Content-Range}; an unsatisfiable one 416 with {@code Content-Range: bytes *}{@code /LEN}; several
 * ranges, or a syntactically invalid header, are ignored (200 with the whole image, as the RFC allows).
 * {@code If-Range} with a different ETag also gets the whole image. The ETag is the quoted sha256.
 */
public final class RangeResponder {
    /** Opens {@code count} bytes of the image from byte {@code first}. */
    @FunctionalInterface
    public interface Source {
        InputStream open(long first, long count) throws IOException;
    }

    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private RangeResponder() {
    }

    /** A byte range, both ends inclusive. */
    record Range(long first, long last) {
        long length() {
            return last - first + 1;
        }
    }

    /** The outcome of reading a Range header against an image of {@code length} bytes. */
    sealed interface Plan {
    }

    record Whole() implements Plan {
    }

    record Partial(Range range) implements Plan {
    }

    record Unsatisfiable() implements Plan {
    }

    /** Decides what to send for a Range header (null when absent). */
    static Plan plan(String header, long length) {
        if (header == null) {
            return new Whole();
        }
        Matcher m = SINGLE.matcher(header.strip());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return new Whole();
        }
        try {
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0 || length == 0) {
                    return new Unsatisfiable();
                }
                return new Partial(new Range(Math.max(0, length - suffix), length - 1));
            }
            long first = Long.parseLong(m.group(1));
            long last = m.group(2).isEmpty() ? length - 1 : Math.min(Long.parseLong(m.group(2)), length - 1);
            if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < first) {
                return new Whole();
            }
            if (first >= length) {
                return new Unsatisfiable();
            }
            return new Partial(new Range(first, last));
        } catch (NumberFormatException e) {
            return new Whole();
        }
    }

    /** Sends the image of {@code source} ({@code length} bytes, hash {@code sha256}) for a GET or HEAD request. */
    public static void send(Context ctx, Source source, long length, String sha256, String contentType)
            throws IOException {
        String etag = "\"" + sha256 + "\"";
        HttpServletResponse res = ctx.res();
        res.setHeader("ETag", etag);
        res.setHeader("Accept-Ranges", "bytes");
        res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
        String ifRange = ctx.header("If-Range");
        Plan plan = ifRange != null && !ifRange.strip().equals(etag) ? new Whole() : plan(ctx.header("Range"), length);
        if (plan instanceof Unsatisfiable) {
            res.setStatus(416);
            res.setHeader("Content-Range", "bytes */" + length);
            res.setContentLengthLong(0);
            return;
        }
        Range range = plan instanceof Partial p ? p.range() : new Range(0, length - 1);
        if (plan instanceof Partial) {
            res.setStatus(206);
            res.setHeader("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + length);
        } else {
            res.setStatus(200);
        }
        res.setContentType(contentType);
        long count = length == 0 ? 0 : range.length();
        res.setContentLengthLong(count);
        if (ctx.method().name().equals("HEAD")) {
            return;
        }
        try (InputStream in = source.open(range.first(), count)) {
            OutputStream out = res.getOutputStream();
            byte[] buf = new byte[65536];
            long left = count;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("image shorter than its recorded length");
                }
                out.write(buf, 0, n);
                left -= n;
            }
            out.flush();
        }
    }
}
