package dev.flotilla.core.tuf.repo;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;

/** Serves a directory over HTTP on a loopback port chosen by the system. */
public final class DirectoryServer implements AutoCloseable {
    private final HttpServer server;

    public DirectoryServer(Path dir) {
        server = SimpleFileServer.createFileServer(new InetSocketAddress("127.0.0.1", 0), dir.toAbsolutePath(),
                SimpleFileServer.OutputLevel.NONE);
        server.start();
    }

    /** The base URL, ending in {@code /}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
