package dev.flotilla.sim;

import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The simulator's server as a child process ({@link ServerProcess}): {@code ServerMain DATA PORT POLL_SECONDS}
 * starts the server (embedded H2 in {@code DATA}, loopback, {@code PORT} or a free one for 0), prints
 * {@code admin-token T} on its first start and then {@code listening URL} on standard output, and runs until it
 * is killed or its standard input closes (the simulator that started it ended); then it stops.
 */
public final class ServerMain {
    /** The line that says the server is listening: this prefix, then its URL. */
    static final String LISTENING = "listening ";
    /** The line with the admin token of a first start: this prefix, then the token. */
    static final String ADMIN_TOKEN = "admin-token ";

    private ServerMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: ServerMain DATA PORT POLL_SECONDS");
            System.exit(2);
        }
        Server server = Server.start(ServerConfig.defaults().withDataDir(Path.of(args[0])).withHost("127.0.0.1")
                .withPort(Integer.parseInt(args[1])).withPollInterval(Duration.ofSeconds(Long.parseLong(args[2]))));
        server.initialAdminToken().ifPresent(t -> System.out.println(ADMIN_TOKEN + t));
        System.out.println(LISTENING + server.uri());
        System.out.flush();
        while (System.in.read() != -1) {
            // nothing is sent: the read ends when the parent closes the pipe or dies
        }
        server.close();
        System.exit(0);
    }
}
