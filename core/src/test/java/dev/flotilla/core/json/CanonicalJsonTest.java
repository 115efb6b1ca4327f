package dev.flotilla.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CanonicalJsonTest {

    private static String canon(String json) {
        return CanonicalJson.encodeToString(CanonicalJson.parse(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void sortsKeysAndDropsWhitespace() {
        assertThat(canon("{ \"b\" : 1, \"a\" : [ true, false, null ], \"c\": {\"z\":\"\", \"y\": -0}}"))
                .isEqualTo("{\"a\":[true,false,null],\"b\":1,\"c\":{\"y\":0,\"z\":\"\"}}");
    }

    @Test
    void escapesOnlyQuoteAndBackslash() {
        // JSON escapes in the input are decoded; only " and \ are escaped on output, control chars stay raw
        assertThat(canon("{\"k\":\"a\\\"b\\\\c\\n\\t\\u0001/\"}"))
                .isEqualTo("{\"k\":\"a\\\"b\\\\c\n\t\u0001/\"}");
    }

    @Test
    void writesUnicodeAsRawUtf8() {
        byte[] out = CanonicalJson.encode(CanonicalJson.parse("{\"k\":\"\\u00e9\\ud83d\\ude00\u4e2d\"}"
                .getBytes(StandardCharsets.UTF_8)));
        assertThat(out).isEqualTo("{\"k\":\"é😀中\"}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void sortsKeysByCodePointNotUtf16Unit() {
        // U+FF21 (fullwidth A) sorts before U+1F600 by code point, but after it by UTF-16 unit (0xD83D)
        String json = "{\"\\ud83d\\ude00\":1,\"\\uff21\":2,\"a\":3,\"B\":4}";
        assertThat(canon(json)).isEqualTo("{\"B\":4,\"a\":3,\"Ａ\":2,\"😀\":1}");
    }

    @Test
    void keepsLargeIntegersExactly() {
        assertThat(canon("{\"n\":123456789012345678901234567890,\"m\":-9223372036854775808}"))
                .isEqualTo("{\"m\":-9223372036854775808,\"n\":123456789012345678901234567890}");
    }

    @Test
    void refusesFloatsWhenEncoding() {
        JsonNode node = CanonicalJson.parse("{\"f\":1.5}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CanonicalJson.encode(node))
                .isInstanceOf(JsonFormatException.class).hasMessageContaining("integers only");
        JsonNode exp = CanonicalJson.parse("[1e3]".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CanonicalJson.encode(exp)).isInstanceOf(JsonFormatException.class);
    }

    @Test
    void nestsDeeplyAndKeepsArrayOrder() {
        assertThat(canon("[[[{\"b\":[3,2,1],\"a\":{}}]],[]]")).isEqualTo("[[[{\"a\":{},\"b\":[3,2,1]}]],[]]");
    }

    @Test
    void refusesDuplicateKeys() {
        assertThatThrownBy(() -> CanonicalJson.parse("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(JsonFormatException.class).hasMessageContaining("Duplicate");
    }

    @Test
    void refusesTrailingGarbageAndMalformedInput() {
        for (String bad : new String[]{"{} x", "{\"a\":}", "", "[1,]", "{'a':1}", "NaN", "{\"a\":01}"}) {
            assertThatThrownBy(() -> CanonicalJson.parse(bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad).isInstanceOf(JsonFormatException.class);
        }
    }

    @Test
    void matchesSecuresystemslibOutputForTufLikeDocument() {
        // expected bytes as securesystemslib.formats.encode_canonical writes them
        String in = "{\"signed\":{\"_type\":\"timestamp\",\"version\":3,\"meta\":{\"snapshot.json\":{\"version\":2}},"
                + "\"expires\":\"2030-01-01T00:00:00Z\",\"spec_version\":\"1.0.31\"}}";
        assertThat(canon(in)).isEqualTo("{\"signed\":{\"_type\":\"timestamp\",\"expires\":\"2030-01-01T00:00:00Z\","
                + "\"meta\":{\"snapshot.json\":{\"version\":2}},\"spec_version\":\"1.0.31\",\"version\":3}}");
    }
}
