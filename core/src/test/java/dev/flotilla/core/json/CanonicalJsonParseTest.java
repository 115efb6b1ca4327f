package dev.flotilla.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The streaming parser reads exactly what the strict mapper reads, node types included, and refuses the same. */
class CanonicalJsonParseTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"signed\":{\"_type\":\"root\",\"version\":1,\"keys\":{}},\"signatures\":[{\"keyid\":\"ab\",\"sig\":\"cd\"}]}",
        "[1, -2, 2147483648, -9223372036854775809, 12345678901234567890123, 1.50, 1e3, -0.0]",
        "{\"a\": [true, false, null, {}, []], \"\\u00e9\\n\": \"\\ud83d\\ude00 \\\" \\\\\"}",
        "\"just a string\"",
        "  42  ",
    })
    void parsesLikeTheStrictMapper(String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        JsonNode expected = CanonicalJson.mapper().readTree(bytes);

        JsonNode actual = CanonicalJson.parse(bytes);

        assertThat(actual).isEqualTo(expected);
        assertSameTypes(actual, expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{\"a\":1,\"a\":2}", "{\"a\":1} {}", "[1] x", "[NaN]", "[01]", "{\"a\":}",
        "{\"a\":1", "[1,]", "{'a':1}", "tru"})
    void refusesWhatTheStrictMapperRefuses(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> CanonicalJson.parse(bytes)).isInstanceOf(JsonFormatException.class);
        assertThatThrownBy(() -> {
            JsonNode n = CanonicalJson.mapper().readTree(bytes);
            if (n == null || n.isMissingNode()) {
                throw new IllegalArgumentException("empty");
            }
        }).isInstanceOf(Exception.class);
    }

    @Test
    void readsAStringStartingWithUPlus0000AsUtf8AsCanonicalJsonWritesIt() {
        JsonNode nul = com.fasterxml.jackson.databind.node.TextNode.valueOf("\u0000x");
        byte[] canonical = CanonicalJson.encode(nul); // the quote, then a raw zero byte: Jackson guessed UTF-16

        assertThat(canonical).startsWith('"', 0);
        assertThat(CanonicalJson.parse(canonical)).isEqualTo(nul);
        assertThat(CanonicalJson.parse(new byte[] {'"', 0, '"'}).textValue()).isEqualTo("\u0000");
    }

    @Test
    void refusesAByteOrderMarkAndUtf16() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        byte[] utf16 = "{\"a\":1}".getBytes(StandardCharsets.UTF_16LE);

        assertThatThrownBy(() -> CanonicalJson.parse(bom)).isInstanceOf(JsonFormatException.class);
        assertThatThrownBy(() -> CanonicalJson.parse(utf16)).isInstanceOf(JsonFormatException.class);
    }

    @Test
    void refusesADecimalWhoseExponentJacksonWillNotRepresent() {
        byte[] bytes = "{\"length\": 4e444444444444344443}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> CanonicalJson.parse(bytes)).isInstanceOf(JsonFormatException.class)
                .hasMessageContaining("out of range");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"\\ud83d\"", "[\"a\\udc00b\"]", "{\"k\": \"\\ud83d\\uee00\"}", "\"\\ude00\\ud83d\""})
    void refusesAStringWithAnUnpairedSurrogate(String json) {
        // canonical JSON would have written it as '?': the same bytes, and signature, as a real question mark
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> CanonicalJson.parse(bytes)).isInstanceOf(JsonFormatException.class)
                .hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> CanonicalJson.encode(CanonicalJson.mapper().readTree(bytes)))
                .isInstanceOf(JsonFormatException.class).hasMessageContaining("unpaired surrogate");
    }

    @Test
    void readsAPairedSurrogateAsItsCharacter() {
        assertThat(CanonicalJson.parse("\"\\ud83d\\ude00\"".getBytes(StandardCharsets.UTF_8)).textValue())
                .isEqualTo(new String(Character.toChars(0x1F600)));
    }

    private static void assertSameTypes(JsonNode actual, JsonNode expected) {
        assertThat(actual.getClass()).isEqualTo(expected.getClass());
        if (expected.isContainerNode()) {
            assertThat(actual.size()).isEqualTo(expected.size());
            if (expected.isObject()) {
                expected.fieldNames().forEachRemaining(f -> assertSameTypes(actual.get(f), expected.get(f)));
            } else {
                for (int i = 0; i < expected.size(); i++) {
                    assertSameTypes(actual.get(i), expected.get(i));
                }
            }
        }
    }
}
