package dev.flotilla.cli.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.flotilla.agent.install.RangeDownload;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executors;

/**
 * The ceiling an agent's install is measured against (used by {@code bench agent-install} and
 * {@code bench agent-footprint}): the slowest of (a) the image over loopback HTTP (a JDK file server with
 * Range, the agent's {@link RangeDownload}) to nowhere, (b) the JDK's SHA-256 over the image file and
 * (c) {@code dd bs=1M conv=fsync} of the image to the same directory; plus the generated image itself.
 *
 * @param httpMiBps   (a)
 * @param sha256MiBps (b)
 * @param ddFsyncMiBps (c)
 */
record InstallCeiling(double httpMiBps, double sha256MiBps, double ddFsyncMiBps) {
    /** The slowest of the three. */
    double min() {
        return Math.min(httpMiBps, Math.min(sha256MiBps, ddFsyncMiBps));
    }

    /** Measures the three on {@code image} ({@code bytes} long), served at {@code url}; dd writes into {@code work}. */
    static InstallCeiling measure(Path image, long bytes, URI url, Path work) throws Exception {
        double http = throughput(bytes, () -> {
            try (InputStream in = new RangeDownload(url, 0, bytes, 0, Duration.ofSeconds(1), Duration.ofSeconds(30))) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        });
        double hash = throughput(bytes, () -> sha256(image));
        Path ddOut = work.resolve("dd.out");
        double dd = throughput(bytes, () -> {
            Process p = new ProcessBuilder("dd", "if=" + image, "of=" + ddOut, "bs=1M", "conv=fsync")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) {
                throw new IOException("dd exited " + p.exitValue());
            }
        });
        Files.deleteIfExists(ddOut);
        return new InstallCeiling(http, hash, dd);
    }

    /** Measures the three on {@code image} with a file server of its own, stopped afterwards. */
    static InstallCeiling measure(Path image, long bytes, Path work) throws Exception {
        HttpServer server = serve(image);
        try {
            return measure(image, bytes, url(server, image), work);
        } finally {
            server.stop(0);
        }
    }

    interface Op {
        void run() throws Exception;
    }

    /** MiB/s of {@code op} over {@code bytes}. */
    static double throughput(long bytes, Op op) throws Exception {
        long start = System.nanoTime();
        op.run();
        return bytes / 1048576.0 / ((System.nanoTime() - start) / 1e9);
    }

    /** Writes {@code bytes} seeded random bytes to {@code file}; returns their SHA-256 (hex). */
    static String generate(Path file, long bytes) throws IOException {
        byte[] block = new byte[1 << 20];
        Random r = new Random(42);
        MessageDigest md = Digests.create("sha256");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < bytes; pos += block.length) {
                r.nextBytes(block);
                int n = (int) Math.min(block.length, bytes - pos);
                md.update(block, 0, n);
                ch.write(ByteBuffer.wrap(block, 0, n));
            }
        }
        return Hex.encode(md.digest());
    }

    /** The SHA-256 (hex) of the whole file. */
    static String sha256(Path file) throws IOException {
        MessageDigest md = Digests.create("sha256");
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file)) {
            while (ch.read(buf.clear()) > 0) {
                md.update(buf.flip());
            }
        }
        return Hex.encode(md.digest());
    }

    /** Where {@link #serve} serves {@code image}. */
    static URI url(HttpServer server, Path image) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + image.getFileName());
    }

    /** A loopback file server for {@code image} (at {@link #url}), answering {@code Range: bytes=N-}. */
    static HttpServer serve(Path image) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/" + image.getFileName(), (HttpExchange ex) -> {
            try (ex; FileChannel ch = FileChannel.open(image)) {
                long size = ch.size();
                long start = 0;
                String range = ex.getRequestHeaders().getFirst("Range");
                if (range != null && range.matches("bytes=\\d+-")) {
                    start = Long.parseLong(range.substring(6, range.length() - 1));
                    ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (size - 1) + "/" + size);
                    ex.sendResponseHeaders(206, size - start);
                } else {
                    ex.sendResponseHeaders(200, size);
                }
                OutputStream out = ex.getResponseBody();
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                long pos = start;
                while (pos < size) {
                    int n = ch.read(buf.clear(), pos);
                    out.write(buf.array(), 0, n);
                    pos += n;
                }
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
        return server;
    }
}
