package dev.flotilla.agent.testimage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;

/**
 * Firmware images for simulations: a small header that tells the simulated boot what to do, then
 * arbitrary bytes.
 *
 * <p>Header format (64 bytes, big-endian):
 * <pre>
 *   offset size
 *   0      8    magic "FLOTIMG1" (ASCII)
 *   8      1    behaviour (0 boot fine, 1 crash on boot, 2 fail the health check, 3 hang)
 *   9      1    version length n (1..46)
 *   10     n    version (UTF-8)
 *   10+n   ..   zero padding up to 56
 *   56     8    total image length in bytes, header included
 * </pre>
 * The rest of the image is pseudo-random bytes derived from the version, so two versions differ.
 */
public final class TestImage {
    public static final int HEADER_SIZE = 64;
    /** The longest version, in UTF-8 bytes: it ends before the length field at offset 56. */
    public static final int MAX_VERSION_BYTES = 46;
    private static final byte[] MAGIC = "FLOTIMG1".getBytes(StandardCharsets.US_ASCII);

    /** What the simulated device does when it boots the image. */
    public enum Behaviour { BOOT_OK, CRASH_ON_BOOT, FAIL_HEALTH_CHECK, HANG }

    /** A decoded header. */
    public record Header(Behaviour behaviour, String version, long length) {
    }

    private TestImage() {
    }

    /** The bytes of an image of {@code length} bytes (at least {@link #HEADER_SIZE}). */
    public static byte[] create(Behaviour behaviour, String version, int length) {
        byte[] image = new byte[length];
        new Random(version.hashCode() * 31L + behaviour.ordinal()).nextBytes(image);
        System.arraycopy(header(behaviour, version, length), 0, image, 0, HEADER_SIZE);
        return image;
    }

    /** Writes an image of {@code length} bytes to {@code file} (for tests and demos; not via the seam). */
    public static void write(Path file, Behaviour behaviour, String version, int length) throws IOException {
        Files.write(file, create(behaviour, version, length));
    }

    /** The 64-byte header. */
    public static byte[] header(Behaviour behaviour, String version, long length) {
        byte[] v = version.getBytes(StandardCharsets.UTF_8);
        if (v.length < 1 || v.length > MAX_VERSION_BYTES) {
            throw new IllegalArgumentException("version must be 1.." + MAX_VERSION_BYTES + " UTF-8 bytes: " + version);
        }
        if (length < HEADER_SIZE) {
            throw new IllegalArgumentException("an image has at least " + HEADER_SIZE + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.put(MAGIC).put((byte) behaviour.ordinal()).put((byte) v.length).put(v);
        b.putLong(56, length);
        return b.array();
    }

    /** Decodes the header at the start of {@code bytes}; empty when it is not a test image. */
    public static Optional<Header> parse(byte[] bytes) {
        if (bytes.length < HEADER_SIZE || !Arrays.equals(bytes, 0, 8, MAGIC, 0, 8)) {
            return Optional.empty();
        }
        int b = bytes[8] & 0xff;
        int n = bytes[9] & 0xff;
        long length = ByteBuffer.wrap(bytes).getLong(56);
        if (b >= Behaviour.values().length || n < 1 || n > MAX_VERSION_BYTES || length < HEADER_SIZE) {
            return Optional.empty();
        }
        String version = new String(bytes, 10, n, StandardCharsets.UTF_8);
        return Optional.of(new Header(Behaviour.values()[b], version, length));
    }

    /** Reads the header at the start of a slot or file; empty when it holds no test image. */
    public static Optional<Header> read(Path slot) throws IOException {
        try (InputStream in = Files.newInputStream(slot)) {
            return parse(in.readNBytes(HEADER_SIZE));
        }
    }
}
