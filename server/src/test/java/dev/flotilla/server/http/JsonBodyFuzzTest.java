package dev.flotilla.server.http;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;

import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes request bodies as every route reads them: parsing ({@link JsonFormatException} only, 400
 * {@code malformed_json}) and each typed field accessor on the fields routes ask for ({@link ApiException}
 * 400 only). Committed inputs: {@code JsonBodyFuzzTestInputs/read/}; docs/fuzzing.md.
 */
class JsonBodyFuzzTest {
    private static final List<String> FIELDS = List.of("name", "role", "tags", "group", "attributes",
            "expiresAt", "forced", "limit", "publicKey", "events", "");

    @FuzzTest
    void read(byte[] input) {
        JsonBody body;
        try {
            body = new JsonBody(CanonicalJson.parseObject(input));
        } catch (JsonFormatException malformed) {
            return;
        }
        for (String f : FIELDS) {
            each(body, f, b -> b.string(f));
            each(body, f, b -> b.optString(f));
            each(body, f, b -> b.optLong(f));
            each(body, f, b -> b.optBoolean(f, false));
            each(body, f, b -> b.object(f));
            each(body, f, b -> b.optObject(f).ifPresent(o -> JsonBody.of(o, f)));
            each(body, f, b -> b.required(f));
            each(body, f, b -> b.strings(f));
        }
    }

    private static void each(JsonBody body, String field, Consumer<JsonBody> read) {
        try {
            read.accept(body);
        } catch (ApiException refused) {
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.getMessage()).contains("'" + field + "'");
        }
    }
}
