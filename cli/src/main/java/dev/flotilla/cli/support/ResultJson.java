package dev.flotilla.cli.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Signature;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Map;

/**
 * The {@code --json} option of an offline tool (a picocli mixin), which has no server answer to print: with it,
 * the command prints what it did as one line of JSON on stdout, and its readable lines go to stderr. The trust
 * commands that either write files or upload a root to a server use it too, printing the server's answer
 * after an upload.
 */
public final class ResultJson {
    @Option(names = "--json", description = "Print the result as one line of JSON; the readable lines go to stderr.")
    boolean json;

    /** Whether --json was given. */
    public boolean given() {
        return json;
    }

    /** Where the readable lines go: stdout, or stderr with --json. */
    public PrintWriter text(CommandSpec spec) {
        return json ? spec.commandLine().getErr() : spec.commandLine().getOut();
    }

    /** Prints {@code result} as one line of JSON on stdout when --json was given. */
    public void print(CommandSpec spec, JsonNode result) throws JsonProcessingException {
        if (json) {
            spec.commandLine().getOut().println(CanonicalJson.mapper().writeValueAsString(result));
        }
    }

    /** A new JSON object to fill. */
    public static ObjectNode object() {
        return CanonicalJson.mapper().createObjectNode();
    }

    /**
     * What a signed metadata file holds: {@code file}, {@code version}, {@code expires} and the key ids of its
     * {@code signatures}.
     */
    public static ObjectNode signed(java.nio.file.Path file, Metadata<?> md, long version, String expires) {
        ObjectNode o = object().put("file", file.toString()).put("version", version).put("expires", expires);
        ArrayNode ids = o.putArray("signatures");
        for (Signature s : md.signatures()) {
            ids.add(s.keyid());
        }
        return o;
    }

    /** {@code {"validSignatures": N, "threshold": T}}: how many of a role's keys signed {@code md} validly. */
    public static ObjectNode count(Role role, Map<String, dev.flotilla.core.tuf.Key> keys, Metadata<?> md) {
        return object().put("validSignatures", Metadata.validSignatures(role, keys, md.signatures(), md.signedBytes()))
                .put("threshold", role.threshold());
    }
}
