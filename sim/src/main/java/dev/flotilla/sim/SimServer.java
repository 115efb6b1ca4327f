package dev.flotilla.sim;

import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;

import java.net.URI;
import java.nio.file.Path;

/**
 * The server a run talks to: started in this process ({@link #inProcess}), a child process that can be
 * killed and started again ({@link ServerProcess}), or one already running ({@link #remote}).
 */
interface SimServer extends AutoCloseable {
    /** Where it listens (loopback). */
    URI uri();

    /** The admin API token it made on its first start. */
    String adminToken();

    /** The PEM file of CAs its HTTPS certificate is checked against, or null for the JDK's (or plain HTTP). */
    default Path caBundle() {
        return null;
    }

    @Override
    void close();

    /** A server already running (not started, nor stopped, by the run). */
    static SimServer remote(Simulation.Remote remote) {
        return new SimServer() {
            @Override
            public URI uri() {
                return remote.uri();
            }

            @Override
            public String adminToken() {
                return remote.adminToken();
            }

            @Override
            public Path caBundle() {
                return remote.caBundle();
            }

            @Override
            public void close() {
                // not the run's to stop
            }

            @Override
            public String toString() {
                return remote.uri() + " (already running)";
            }
        };
    }

    /** The server started in this process, the same code {@code flotilla server} runs. */
    static SimServer inProcess(ServerConfig config) {
        Server server = Server.start(config);
        String token = server.initialAdminToken().orElseThrow();
        return new SimServer() {
            @Override
            public URI uri() {
                return server.uri();
            }

            @Override
            public String adminToken() {
                return token;
            }

            @Override
            public void close() {
                server.close();
            }

            @Override
            public String toString() {
                return server.uri().toString();
            }
        };
    }
}
