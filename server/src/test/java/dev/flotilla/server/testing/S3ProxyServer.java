package dev.flotilla.server.testing;

import dev.flotilla.server.artifacts.ArtifactSettings;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real S3-compatible server (s3proxy) in this JVM on a loopback port, keeping its objects as files under a
 * directory, so that it can be stopped and started again on the same port with the same objects. Requests
 * must be signed with {@link #ACCESS_KEY}/{@link #SECRET_KEY} (AWS signature v2 or v4).
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "flotilla-test-access";
    public static final String SECRET_KEY = "flotilla-test-secret-key-0123456789";
    public static final String BUCKET = "images";

    private final Path dir;
    private int port;
    private S3Proxy proxy;

    private S3ProxyServer(Path dir) {
        this.dir = dir;
    }

    /** Starts a server on a free port with an empty bucket {@link #BUCKET}. */
    public static S3ProxyServer start(Path dir) throws Exception {
        S3ProxyServer s = new S3ProxyServer(dir);
        Files.createDirectories(dir);
        s.run(0);
        s.blobStore().createContainer(BUCKET);
        return s;
    }

    private BlobStore store;

    private BlobStore blobStore() {
        return store;
    }

    private void run(int onPort) throws Exception {
        run(onPort, SECRET_KEY);
    }

    private void run(int onPort, String secret) throws Exception {
        store = new FilesystemNio2BlobStore(dir.toString());
        proxy = S3Proxy.builder().blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:" + onPort))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, secret)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        port = proxy.getPort();
    }

    /** Stops serving (the objects stay on disk); connections are then refused. */
    public void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    /** Serves again on the same port, with the objects it had. */
    public void restart() throws Exception {
        stop();
        run(port);
    }

    /** Serves again on the same port, accepting only {@code secret} for {@link #ACCESS_KEY} (a rotated key). */
    public void restartWithSecret(String secret) throws Exception {
        stop();
        run(port, secret);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Settings for {@code s3://images/PREFIX} on this server, path-style, with the right credentials. */
    public ArtifactSettings settings(String prefix) {
        return ArtifactSettings.s3(URI.create("s3://" + BUCKET + "/" + prefix), endpoint(), "us-east-1", true,
                new ArtifactSettings.Credentials(ACCESS_KEY, SECRET_KEY));
    }

    /** The names of the objects in the bucket (read from its directory), sorted. */
    public List<String> objects() throws Exception {
        Path bucket = dir.resolve(BUCKET);
        if (!Files.exists(bucket)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(bucket)) {
            return files.filter(Files::isRegularFile).map(p -> bucket.relativize(p).toString().replace('\\', '/'))
                    .filter(name -> !name.startsWith(".")).sorted().toList();
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
