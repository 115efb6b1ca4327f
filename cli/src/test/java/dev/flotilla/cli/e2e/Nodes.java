package dev.flotilla.cli.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * {@code flotilla server} nodes as processes on this test's class path, each on a fixed loopback port (so that a
 * load balancer's configuration names it and a restarted node comes back on it), their output collected.
 */
final class Nodes implements AutoCloseable {
    private static final String LISTENING = "Flotilla server listening on ";
    private static final String ADMIN = "Initial admin API token (shown only this once; store it now):";

    /** One node: its port, its options, and its current process with the lines it printed. */
    private static final class Node {
        final int port;
        final List<String> args;
        Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Node(int port, List<String> args) {
            this.port = port;
            this.args = args;
        }
    }

    /** A started node. */
    record Started(int number, Node node) {
        /** The admin token the first start of a database prints. */
        String adminToken() throws InterruptedException {
            for (int i = 0; i < 600; i++) {
                int at = node.lines.indexOf(ADMIN);
                if (at >= 0 && node.lines.size() > at + 1) {
                    return node.lines.get(at + 1).trim();
                }
                if (!node.process.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("node " + number + " printed no admin token: " + node.lines);
        }
    }

    private final Map<Integer, Node> nodes = new TreeMap<>();

    /** Node {@code n} runs {@code flotilla server ARGS} on a free port it keeps. */
    void define(int n, List<String> args) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        nodes.put(n, new Node(port, args));
    }

    int port(int n) {
        return nodes.get(n).port;
    }

    /** Starts node {@code n} (again); see {@link #awaitListening}. */
    Started start(int n) throws IOException {
        Node node = nodes.get(n);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main", "server",
                "--host", "127.0.0.1", "--port", Integer.toString(node.port)));
        cmd.addAll(node.args);
        node.lines.clear();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        node.process = p;
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    node.lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        return new Started(n, node);
    }

    /** Waits until node {@code n} printed that it listens; fails with its output when it stopped instead. */
    void awaitListening(int n) throws InterruptedException {
        Node node = nodes.get(n);
        for (int i = 0; i < 1200; i++) {
            if (node.lines.stream().anyMatch(l -> l.startsWith(LISTENING))) {
                return;
            }
            if (!node.process.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("node " + n + " did not start: " + node.lines);
    }

    /** Sends a signal ({@code STOP}, {@code CONT}) to node {@code n}'s process. */
    void signal(int n, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(nodes.get(n).process.pid()))
                .redirectErrorStream(true).start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /** SIGKILL to node {@code n}, and waits until it is gone. */
    void kill(int n) throws InterruptedException {
        Process p = nodes.get(n).process;
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** Every node's output, for a failure message. */
    String output() {
        StringBuilder b = new StringBuilder();
        nodes.forEach((n, node) -> b.append("\nnode ").append(n).append(": ").append(node.lines));
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (Node node : nodes.values()) {
            if (node.process != null) {
                node.process.destroyForcibly();
                node.process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
