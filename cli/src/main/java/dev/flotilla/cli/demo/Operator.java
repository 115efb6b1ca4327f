package dev.flotilla.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.Main;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.sim.Releases;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an operator does, done the way an operator would: the offline steps through the {@code flotilla}
 * commands themselves (keys, trust init, release publish), the rest through the management API. It is also
 * the simulator's {@link Releases}.
 */
public final class Operator implements Releases {
    private final URI server;
    private final String token;
    private final Path keys;
    private final ServerClient api;

    public Operator(URI server, String adminToken, Path keysDir) {
        this.server = server;
        this.token = adminToken;
        this.keys = keysDir;
        this.api = new ServerClient(server, adminToken);
    }

    /** Offline root and targets keys, then a root built with the server's online keys, uploaded. */
    @Override
    public void createTrust() {
        flotilla("keys", "generate", "--type", "ed25519", "--out", keys.toString(), "--name", "root");
        flotilla("keys", "generate", "--type", "ed25519", "--out", keys.toString(), "--name", "targets");
        flotilla("trust", "init", "--accept-online-keys", "--server", server.toString(), "--token", token,
                "--root-key", keys.resolve("root.pub.json").toString(),
                "--targets-key", keys.resolve("targets.pub.json").toString(),
                "--sign-with", keys.resolve("root.pem").toString());
    }

    /** The root devices ship with. */
    byte[] trustedRoot() throws IOException {
        return api.getIfPresent("/tuf/metadata/1.root.json")
                .orElseThrow(() -> new IOException("the server has no root yet"));
    }

    /** An enrollment token for {@code devices} devices, valid for a day. */
    String enrollmentToken(int devices) throws IOException {
        ObjectNode body = CanonicalJson.mapper().createObjectNode().put("description", "flotilla demo fleet")
                .put("maxUses", devices).put("validForSeconds", 86_400);
        return api.sendJson("POST", "/api/v1/enrollment-tokens", bytes(body)).path("secret").asText();
    }

    /** Signs the image into targets offline (the targets key never reaches the server) and uploads it. */
    @Override
    public String publish(Path image, String version, String hardware) {
        flotilla("release", "publish", "--server", server.toString(), "--token", token, "--image", image.toString(),
                "--version", version, "--hardware", hardware, "--targets-key", keys.resolve("targets.pem").toString(),
                "--no-progress");
        return image.getFileName().toString();
    }

    String deployToGroup(String target, String group) throws IOException {
        ObjectNode body = CanonicalJson.mapper().createObjectNode().put("target", target).put("group", group);
        return api.sendJson("POST", "/api/v1/deployments", bytes(body)).path("id").asText();
    }

    List<JsonNode> devices() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        api.getJson("/api/v1/devices?limit=500").path("items").forEach(out::add);
        return out;
    }

    void setGroup(String deviceId, String group) throws IOException {
        api.sendJson("PUT", "/api/v1/devices/" + deviceId + "/group",
                bytes(CanonicalJson.mapper().createObjectNode().put("group", group)));
    }

    JsonNode device(String deviceId) throws IOException {
        return api.getJson("/api/v1/devices/" + deviceId);
    }

    List<JsonNode> events(String deviceId) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        api.getJson("/api/v1/devices/" + deviceId + "/events?limit=500").path("items").forEach(out::add);
        return out;
    }

    private static byte[] bytes(JsonNode n) {
        return CanonicalJson.encode(n);
    }

    /** Runs a {@code flotilla} command in this process; fails with its error line. */
    private static void flotilla(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        if (code != 0) {
            throw new IllegalStateException("flotilla " + String.join(" ", args).replaceAll("--token \\S+", "--token ***")
                    + " failed: " + err.toString().strip());
        }
    }

    static void write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
    }
}
