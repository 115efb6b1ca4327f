package dev.flotilla.core.json;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the strict JSON parser with arbitrary bytes: it either refuses them with {@link JsonFormatException}
 * (nothing else may escape) or returns a value whose canonical encodings parse back to the same value.
 * Committed inputs: {@code CanonicalJsonFuzzTestInputs/parse/}; how to fuzz longer: docs/fuzzing.md.
 */
class CanonicalJsonFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        JsonNode node;
        try {
            node = CanonicalJson.parse(input);
        } catch (JsonFormatException refused) {
            return;
        }
        if (hasFraction(node)) {
            return; // canonical JSON has integers only: encode refuses such a value (documented)
        }
        byte[] valid = CanonicalJson.encodeValid(node);
        assertThat(CanonicalJson.parse(valid)).isEqualTo(node);
        assertThat(CanonicalJson.encodeValid(CanonicalJson.parse(valid))).isEqualTo(valid);
        assertThat(CanonicalJson.parse(CanonicalJson.encode(node))).isEqualTo(node);
    }

    private static boolean hasFraction(JsonNode node) {
        if (node.isNumber()) {
            return !node.isIntegralNumber();
        }
        for (JsonNode child : node) {
            if (hasFraction(child)) {
                return true;
            }
        }
        return false;
    }
}
