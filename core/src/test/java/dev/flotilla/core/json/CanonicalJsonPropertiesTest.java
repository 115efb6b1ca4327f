package dev.flotilla.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CanonicalJsonPropertiesTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Property(tries = 500)
    void encodingIsAFixedPointOfParsing(@ForAll("values") JsonNode leafOrTree) {
        // wrapped in an array: Jackson reads a top-level string holding a raw NUL as end of input
        JsonNode value = F.arrayNode().add(leafOrTree);
        byte[] once = CanonicalJson.encode(value);
        byte[] twice = CanonicalJson.encode(CanonicalJson.parse(once));
        assertThat(twice).isEqualTo(once);
        java.util.Comparator<JsonNode> numbersByValue = (a, b) -> a.isNumber() && b.isNumber()
                ? a.bigIntegerValue().compareTo(b.bigIntegerValue()) : (a.equals(b) ? 0 : 1);
        assertThat(CanonicalJson.parse(once).equals(numbersByValue, value)).as("round trip keeps the value").isTrue();
    }

    @Property(tries = 300)
    void fieldOrderDoesNotChangeTheEncoding(@ForAll("objects") ObjectNode value, @ForAll long seed) {
        assertThat(CanonicalJson.encode(shuffled(value, new java.util.Random(seed))))
                .isEqualTo(CanonicalJson.encode(value));
    }

    @Property(tries = 300)
    void prettyPrintedInputCanonicalizesIdentically(@ForAll("values") JsonNode value) {
        byte[] pretty = CanonicalJson.pretty(value);
        assertThat(CanonicalJson.encode(CanonicalJson.parse(pretty))).isEqualTo(CanonicalJson.encode(value));
    }

    @Property(tries = 300)
    void prettyIsWhatJacksonsObjectMapperPrettyPrints(@ForAll("values") JsonNode value) throws Exception {
        byte[] byMapper = CanonicalJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        assertThat(new String(CanonicalJson.pretty(value), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(new String(byMapper, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<JsonNode> values() {
        return Arbitraries.integers().between(0, 3).flatMap(this::valuesOfDepth);
    }

    @Provide
    Arbitrary<ObjectNode> objects() {
        return Arbitraries.integers().between(0, 2).flatMap(d -> objectsOfDepth(d + 1));
    }

    private Arbitrary<JsonNode> valuesOfDepth(int depth) {
        if (depth == 0) {
            return leaf();
        }
        return Arbitraries.oneOf(leaf(), objectsOfDepth(depth).map(o -> (JsonNode) o), arraysOfDepth(depth));
    }

    private Arbitrary<ObjectNode> objectsOfDepth(int depth) {
        return Arbitraries.maps(strings(), valuesOfDepth(depth - 1)).ofMaxSize(4).map(m -> {
            ObjectNode o = F.objectNode();
            m.forEach(o::set);
            return o;
        });
    }

    private Arbitrary<JsonNode> arraysOfDepth(int depth) {
        return valuesOfDepth(depth - 1).list().ofMaxSize(4).map(l -> {
            ArrayNode a = F.arrayNode();
            l.forEach(a::add);
            return (JsonNode) a;
        });
    }

    private Arbitrary<JsonNode> leaf() {
        return Arbitraries.oneOf(
                strings().map(F::textNode),
                Arbitraries.longs().map(l -> (JsonNode) F.numberNode(java.math.BigInteger.valueOf(l))),
                Arbitraries.of(true, false).map(F::booleanNode),
                Arbitraries.just(F.nullNode()));
    }

    private static Arbitrary<String> strings() {
        // all of Unicode's planes except lone surrogates, plus the characters that need escaping
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(8),
                Arbitraries.strings().withChars('"', '\\', '/', '\n', '\u2028', 'é', '中').ofMaxLength(6),
                Arbitraries.integers().between(0x10000, 0x10FFFF).list().ofMaxSize(3)
                        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size())));
    }

    private static JsonNode shuffled(JsonNode node, java.util.Random random) {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
            node.fields().forEachRemaining(entries::add);
            Collections.shuffle(entries, random);
            ObjectNode o = F.objectNode();
            entries.forEach(e -> o.set(e.getKey(), shuffled(e.getValue(), random)));
            return o;
        }
        if (node.isArray()) {
            ArrayNode a = F.arrayNode();
            node.forEach(n -> a.add(shuffled(n, random)));
            return a;
        }
        return node;
    }
}
