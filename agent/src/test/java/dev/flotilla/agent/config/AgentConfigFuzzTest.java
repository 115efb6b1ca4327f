package dev.flotilla.agent.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the agent's configuration file parser with arbitrary file contents: a configuration either parses
 * or is refused with {@link ConfigException} naming the file; nothing else may escape. Inputs that name a
 * {@code caBundle} are skipped: the parser reads that file, and a fuzzed path must not make the test read
 * files outside its own directory. Committed inputs: {@code AgentConfigFuzzTestInputs/parse/}; docs/fuzzing.md.
 */
class AgentConfigFuzzTest {
    private static final JsonMapper LENIENT = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_YAML_COMMENTS,
                    JsonReadFeature.ALLOW_TRAILING_COMMA).build();
    private static final Path FILE = file();

    @FuzzTest
    void parse(byte[] input) throws IOException {
        if (namesCaBundle(input)) {
            return;
        }
        Files.write(FILE, input);
        try {
            AgentConfigParser.parse(FILE, Map.of());
        } catch (ConfigException refused) {
            assertThat(refused.getMessage()).startsWith(FILE.toString() + ": ");
        }
    }

    private static boolean namesCaBundle(byte[] input) {
        try {
            JsonNode root = LENIENT.readTree(input);
            return root != null && root.has("caBundle");
        } catch (IOException | RuntimeException notJson) {
            return false;
        }
    }

    private static Path file() {
        try {
            Path dir = Files.createTempDirectory("agent-config-fuzz");
            dir.toFile().deleteOnExit();
            Path f = dir.resolve("agent.conf");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
