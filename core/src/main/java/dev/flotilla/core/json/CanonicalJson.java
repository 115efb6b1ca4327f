package dev.flotilla.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * OLPC canonical JSON, the encoding over which TUF metadata is signed, and a strict JSON parser.
 *
 * <p>Canonical form: no insignificant whitespace, object keys sorted by Unicode code point, strings
 * escaped only for {@code "} and {@code \} (every other character is emitted as raw UTF-8), integers
 * only (a fractional or exponent number is refused), {@code true}, {@code false} and {@code null}.
 * This matches securesystemslib's {@code encode_canonical}, which python-tuf, tuf-js and go-tuf use.
 *
 * <p>The parser refuses duplicate object keys, trailing content and non-standard JSON (except raw control
 * characters inside strings, which canonical JSON itself emits), strings that are not Unicode text (an
 * unpaired surrogate) and byte encodings other than UTF-8, so that two readers can never disagree on what a
 * signed document says.
 */
public final class CanonicalJson {
    /**
     * Parsing streams tokens from a bare factory into a tree, and {@link #pretty} writes a tree to a bare
     * generator: building an {@link ObjectMapper} costs a noticeable part of a short-lived client's start-up and
     * of a small process's memory (the device agent's), so the mapper is made only when something asks for it
     * ({@link #mapper()}). Both read the same strict JSON into the same node types.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // canonical JSON writes control characters raw, so its own output must parse back
            .enable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonReadFeature.ALLOW_LEADING_ZEROS_FOR_NUMBERS)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private static final class Lazy {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .disable(JsonReadFeature.ALLOW_LEADING_ZEROS_FOR_NUMBERS)
                .nodeFactory(NODES)
                .build();
    }

    private CanonicalJson() {
    }

    /** The shared strict mapper (duplicate keys and trailing tokens refused). */
    public static ObjectMapper mapper() {
        return Lazy.MAPPER;
    }

    /**
     * Parses strict JSON.
     *
     * @throws JsonFormatException when the bytes are not one well-formed JSON value, an object has a
     *                             duplicate key, or a string holds an unpaired surrogate
     */
    public static JsonNode parse(byte[] bytes) {
        try (JsonParser p = utf8Parser(bytes)) {
            return tree(p);
        } catch (IOException e) {
            throw new JsonFormatException(firstLine(e.getMessage()), e);
        }
    }

    /**
     * Reads the one JSON value {@code parser} holds into a tree, as {@link #parse} does (strings must be Unicode
     * text, decimals are kept exact), for a reader whose syntax differs from the strict one (comments in a
     * configuration file, say). No {@link ObjectMapper} is made, so a small process (the device agent) that
     * reads and writes JSON only as trees never loads Jackson's data binding.
     *
     * @throws IOException when the parser finds malformed JSON (a
     *                     {@link com.fasterxml.jackson.core.JsonProcessingException} with its location)
     * @throws JsonFormatException when the document is empty, has content after its value, or holds an unpaired
     *                             surrogate or an out-of-range number
     */
    public static JsonNode tree(JsonParser parser) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            throw new JsonFormatException("empty document");
        }
        JsonNode node = read(parser, first);
        JsonToken trailing = parser.nextToken();
        if (trailing != null) {
            throw new JsonFormatException("malformed JSON: trailing token " + trailing + " after the document");
        }
        return node;
    }

    /**
     * A parser that reads {@code bytes} as UTF-8. Jackson guesses UTF-16 or UTF-32 when one of the first four
     * bytes is zero (a document that starts with a string whose first character is U+0000, as canonical JSON
     * writes it) and skips a byte-order mark; such documents are decoded strictly as UTF-8 first instead, so
     * that they read as every UTF-8 reader reads them (and a byte-order mark is refused).
     */
    private static JsonParser utf8Parser(byte[] bytes) throws IOException {
        boolean guessed = bytes.length > 0 && (bytes[0] == (byte) 0xEF || bytes[0] == (byte) 0xFE
                || bytes[0] == (byte) 0xFF);
        for (int i = 0; i < Math.min(4, bytes.length) && !guessed; i++) {
            guessed = bytes[i] == 0;
        }
        if (!guessed) {
            return FACTORY.createParser(bytes);
        }
        java.nio.CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(bytes));
        return FACTORY.createParser(chars.toString());
    }

    /** Reads the value that starts at {@code t}; nesting depth is bounded by the parser's constraints. */
    private static JsonNode read(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    if (k != JsonToken.FIELD_NAME) {
                        throw new JsonFormatException("malformed JSON: unexpected " + k + " in an object");
                    }
                    String name = unicode(p.currentName());
                    o.set(name, read(p, p.nextToken()));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(read(p, e));
                }
                yield a;
            }
            case VALUE_STRING -> NODES.textNode(unicode(p.getText()));
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> number(p, t);
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new JsonFormatException("malformed JSON: unexpected " + t);
        };
    }

    /**
     * {@code s}, when it is a sequence of Unicode characters: a surrogate that is not half of a pair (U+D800
     * escaped alone) has no UTF-8 encoding, so two such strings could share one canonical
     * encoding, and with it one signature.
     *
     * @throws JsonFormatException when {@code s} holds an unpaired surrogate
     */
    private static String unicode(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new JsonFormatException(String.format(
                            "malformed JSON: unpaired surrogate \\u%04x in a string", (int) c));
                }
            }
        }
        return s;
    }

    /**
     * The number at the parser: an integer, or an exact decimal. Jackson throws
     * {@link NumberFormatException} for a decimal it will not represent (an exponent of more than ten
     * digits, e.g. {@code 4e4444444444}); that is malformed input here.
     */
    private static JsonNode number(JsonParser p, JsonToken t) throws IOException {
        try {
            if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                return NODES.numberNode(p.getDecimalValue());
            }
            return switch (p.getNumberType()) {
                case INT -> NODES.numberNode(p.getIntValue());
                case LONG -> NODES.numberNode(p.getLongValue());
                default -> NODES.numberNode(p.getBigIntegerValue());
            };
        } catch (NumberFormatException e) {
            throw new JsonFormatException("malformed JSON: number " + abbreviated(p.getText()) + " out of range", e);
        }
    }

    private static String abbreviated(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    /** Parses strict JSON that must be an object. */
    public static ObjectNode parseObject(byte[] bytes) {
        JsonNode node = parse(bytes);
        if (!node.isObject()) {
            throw new JsonFormatException("expected a JSON object, got " + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    /**
     * Encodes a value canonically.
     *
     * @throws JsonFormatException when the value holds a non-integer number or a string with an unpaired
     *                             surrogate
     */
    public static byte[] encode(JsonNode node) {
        Sink out = new Sink(4096);
        write(node, out, false);
        return out.toByteArray();
    }

    /**
     * Encodes a value like {@link #encode} but escapes control characters ({@code \n} in a PEM key, for
     * instance), so that the result is always valid JSON that {@link #parse} accepts. For values without
     * control characters in strings the bytes equal {@link #encode}'s. Use it for files; sign over
     * {@link #encode}.
     */
    public static byte[] encodeValid(JsonNode node) {
        Sink out = new Sink(4096);
        write(node, out, true);
        return out.toByteArray();
    }

    /** Canonical encoding as a string (convenience for tests and logs). */
    public static String encodeToString(JsonNode node) {
        return new String(encode(node), StandardCharsets.UTF_8);
    }

    /**
     * Pretty-printed (non-canonical) JSON for files people read; signatures never cover this form. Keys keep their
     * order; the layout is Jackson's default pretty printer's, written without an {@link ObjectMapper}.
     */
    public static byte[] pretty(JsonNode node) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            generate(node, g);
        } catch (IOException e) {
            throw new JsonFormatException(e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static void generate(JsonNode node, JsonGenerator g) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    g.writeFieldName(key);
                    generate(node.get(key), g);
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode element : node) {
                    generate(element, g);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(node.textValue());
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> g.writeNumber(node.intValue());
                    case LONG -> g.writeNumber(node.longValue());
                    case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
                    default -> g.writeNumber(node.decimalValue());
                }
            }
            case BOOLEAN -> g.writeBoolean(node.booleanValue());
            case NULL -> g.writeNull();
            default -> throw new JsonFormatException("cannot write " + node.getNodeType() + " as JSON");
        }
    }

    private static void write(JsonNode node, Sink out, boolean escapeControls) {
        switch (node.getNodeType()) {
            case OBJECT -> writeObject(node, out, escapeControls);
            case ARRAY -> {
                out.write('[');
                boolean first = true;
                for (JsonNode element : node) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    write(element, out, escapeControls);
                }
                out.write(']');
            }
            case STRING -> writeString(node.textValue(), out, escapeControls);
            case NUMBER -> {
                if (!node.isIntegralNumber()) {
                    throw new JsonFormatException("canonical JSON allows integers only, got " + node);
                }
                out.writeBytes(node.bigIntegerValue().toString().getBytes(StandardCharsets.US_ASCII));
            }
            case BOOLEAN -> out.writeBytes((node.booleanValue() ? "true" : "false").getBytes(StandardCharsets.US_ASCII));
            case NULL -> out.writeBytes("null".getBytes(StandardCharsets.US_ASCII));
            default -> throw new JsonFormatException("cannot encode " + node.getNodeType() + " canonically");
        }
    }

    private static void writeObject(JsonNode node, Sink out, boolean escapeControls) {
        List<String> keys = new ArrayList<>(node.size());
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        keys.sort(CanonicalJson::compareCodePoints);
        out.write('{');
        boolean first = true;
        for (String key : keys) {
            if (!first) {
                out.write(',');
            }
            first = false;
            writeString(key, out, escapeControls);
            out.write(':');
            write(node.get(key), out, escapeControls);
        }
        out.write('}');
    }

    private static void writeString(String s, Sink out, boolean escapeControls) {
        out.write('"');
        int n = s.length();
        boolean plainAscii = true;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\') {
                plainAscii = false;
                break;
            }
        }
        if (plainAscii) {
            out.writeAscii(s);
        } else {
            unicode(s);
            StringBuilder sb = new StringBuilder(n + 8);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\');
                } else if (escapeControls && c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                    continue;
                }
                sb.append(c);
            }
            out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        out.write('"');
    }

    /** An unsynchronized growable byte buffer (ByteArrayOutputStream locks on every write). */
    private static final class Sink {
        private byte[] buf;
        private int size;

        Sink(int capacity) {
            buf = new byte[capacity];
        }

        private void ensure(int extra) {
            if (size + extra > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
            }
        }

        void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        void writeBytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        void writeAscii(String s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[size + i] = (byte) s.charAt(i);
            }
            size += n;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }

    /** Orders strings by Unicode code point, as Python's {@code sorted} does (not by UTF-16 unit). */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        int nl = message.indexOf('\n');
        return "malformed JSON: " + (nl < 0 ? message : message.substring(0, nl));
    }
}
