package dev.flotilla.server.http;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.time.Duration;

/**
 * The server's plain HTTP connector, and the idle timeout of every connector.
 *
 * <p>A connection that is idle both at the client and at the server is closed by whichever side's timer
 * ends first; when both end at once (Jetty's and the JDK HTTP client's defaults are both 30 s), a client can
 * send a request on a connection the server is closing, and it fails without an answer. The server keeps idle
 * connections longer than the clients it serves (the agent and CLI use the JDK client, 30 s), so that the
 * client closes first.
 */
public final class Connectors {
    /** How long the server keeps an idle connection open. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(65);

    private Connectors() {
    }

    /** A plain HTTP connector on {@code host:port} with {@link #IDLE_TIMEOUT}. */
    public static ServerConnector plain(Server server, HttpConfiguration http, String host, int port) {
        ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
        c.setHost(host);
        c.setPort(port);
        c.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        return c;
    }
}
