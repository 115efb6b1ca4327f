package dev.flotilla.server.artifacts;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Exactly {@code count} bytes of an object: fewer (the object is shorter than recorded) is an error. */
final class BoundedInputStream extends FilterInputStream {
    private final String key;
    private long left;

    BoundedInputStream(InputStream in, long count, String key) {
        super(in);
        this.left = count;
        this.key = key;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) {
            return -1;
        }
        int n = super.read(b, off, (int) Math.min(len, left));
        if (n < 0) {
            throw new IOException("object " + key + " is shorter than its recorded length");
        }
        left -= n;
        return n;
    }
}
