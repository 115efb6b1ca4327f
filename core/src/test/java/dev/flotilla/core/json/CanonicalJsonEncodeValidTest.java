package dev.flotilla.core.json;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class CanonicalJsonEncodeValidTest {
    @Test
    void encodeValidEscapesControlCharactersThatCanonicalFormKeepsRaw() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        o.put("b", "ü\"\\");

        byte[] canonical = CanonicalJson.encode(o);
        byte[] valid = CanonicalJson.encodeValid(o);

        // canonical form keeps the newline raw: strict JSON readers (JSON.parse, Python's json) refuse it
        assertThat(new String(canonical, StandardCharsets.UTF_8)).contains("-----\nAAAA");
        assertThat(new String(valid, StandardCharsets.UTF_8))
                .isEqualTo("{\"b\":\"ü\\\"\\\\\",\"pem\":\"-----BEGIN PUBLIC KEY-----\\u000aAAAA\\u000a"
                        + "-----END PUBLIC KEY-----\\u000a\"}");
        assertThat(CanonicalJson.encode(CanonicalJson.parse(valid))).isEqualTo(canonical);
    }

    @Test
    void encodeValidEqualsEncodeWithoutControlCharacters() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("z", 1).put("a", "text ü").putArray("list").add(true).addNull();

        assertThat(CanonicalJson.encodeValid(o)).isEqualTo(CanonicalJson.encode(o));
    }
}
