package dev.flotilla.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Base of the operator commands that call the server's management API: {@code --server}, {@code --token}
 * (or FLOTILLA_SERVER, FLOTILLA_TOKEN), {@code --ca-bundle} (or FLOTILLA_CA_BUNDLE) and {@code --json} (the server's answer printed as is, for scripts).
 * A refusal becomes the one line {@code flotilla: error: CODE: MESSAGE}; an unreachable server one line too.
 * After a successful call, the server's warnings about signed metadata that expires soon follow on stderr
 * ({@code flotilla: warning: ...}).
 */
public abstract class ApiCommand extends ToolCommand {
    @Mixin
    ServerOptions connection;

    @Option(names = "--json", description = "Print the server's JSON answer as is.")
    boolean json;

    private ServerClient client;

    /** Calls the API and prints the answer, readable or (with --json) as is. */
    protected abstract void run() throws IOException;

    @Override
    protected final int execute() throws Exception {
        client = connection.client();
        try {
            run();
            out().flush();
            if (warnsAboutExpiry()) {
                ServerMetadata.printWarnings(client, spec.commandLine().getErr());
            }
            return 0;
        } catch (ServerClient.ApiError e) {
            return fail(e.code() + ": " + e.serverMessage() + (e.status() == 401 ? "; " + ServerClient.LOG_IN_AGAIN : ""));
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return fail(why.startsWith("cannot connect") ? why : "cannot reach " + connection.url() + ": " + why);
        }
    }

    /**
     * Whether a successful command then prints the server's trust warnings (root or targets metadata that
     * expires within 30 days) on stderr, one line each.
     */
    protected boolean warnsAboutExpiry() {
        return true;
    }

    /** GETs a path; prints the raw answer with --json and returns null, otherwise returns it parsed. */
    protected JsonNode get(String path) throws IOException {
        return answer(client.exchange("GET", path, null));
    }

    /**
     * Sends a method with a JSON body (or none); like {@link #get}. The body is plain JSON (numbers such as a
     * plan's rates as they are), not the canonical form signatures cover.
     */
    protected JsonNode send(String method, String path, JsonNode body) throws IOException {
        return answer(client.exchange(method, path, body == null ? null
                : CanonicalJson.mapper().writeValueAsBytes(body)));
    }

    private JsonNode answer(byte[] bytes) throws IOException {
        if (json) {
            out().println(new String(bytes, StandardCharsets.UTF_8));
            return null;
        }
        return CanonicalJson.mapper().readTree(bytes.length == 0 ? "null".getBytes(StandardCharsets.UTF_8) : bytes);
    }

    protected static ObjectNode object() {
        return CanonicalJson.mapper().createObjectNode();
    }

    /** A path with query parameters; null values are left out. */
    protected static String query(String path, Map<String, Object> params) {
        StringJoiner q = new StringJoiner("&");
        params.forEach((k, v) -> {
            if (v != null) {
                q.add(k + "=" + URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        });
        return q.length() == 0 ? path : path + "?" + q;
    }

    /** Paging parameters as a mutable map, to add filters to. */

    /** A path segment, encoded. */
    protected static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Prints a listing's items as a table, then a hint when there is a next page. */
    protected void printPage(JsonNode page, Table table, java.util.function.Function<JsonNode, Object[]> row) {
        for (JsonNode item : page.path("items")) {
            table.row(row.apply(item));
        }
        table.print(out());
        JsonNode next = page.path("nextOffset");
        if (next.isNumber()) {
            out().println("(more: --offset " + next.asInt() + ")");
        }
    }

    /** A field as text, "-" when absent or null. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return "-";
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }
}
