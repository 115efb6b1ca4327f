package dev.flotilla.cli.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.CanonicalJson;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * The {@code --json} option of a command that does more than one API call (a picocli mixin): with it, the
 * command prints the answer of its final call as JSON instead of its readable lines.
 */
public final class JsonOutput {
    @Option(names = "--json", description = "Print the server's JSON answer (of the final call) instead of text.")
    boolean json;

    /** Whether --json was given. */
    public boolean given() {
        return json;
    }

    /** Prints the answer as one line of JSON. */
    public void print(PrintWriter out, JsonNode answer) throws JsonProcessingException {
        out.println(CanonicalJson.mapper().writeValueAsString(answer));
    }
}
