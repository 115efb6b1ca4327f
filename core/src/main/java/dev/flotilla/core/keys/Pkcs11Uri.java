package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyFormatException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A PKCS#11 key named by an RFC 7512 URI, e.g.
 * {@code pkcs11:token=release;object=root-1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/etc/pin}.
 * Path attributes: {@code token} (the token label), {@code slot-id}, {@code object} (the key's label, required);
 * query attributes: {@code module-path} and {@code pin-source} (a file, {@code file:} URI or path). A
 * {@code pin-value} is refused: it would put the PIN on command lines and in shell histories.
 *
 * @param token      token label, or null (then {@code slotId} names the slot)
 * @param slotId     slot id, or null
 * @param object     the key's label (the alias of its private key entry)
 * @param modulePath the PKCS#11 module (shared library), or null (then FLOTILLA_PKCS11_MODULE)
 * @param pinSource  a file holding the user PIN, or null (then FLOTILLA_PKCS11_PIN)
 */
public record Pkcs11Uri(String token, Long slotId, String object, String modulePath, Path pinSource) {
    /** URI scheme prefix. */
    public static final String SCHEME = "pkcs11:";
    private static final Set<String> PATH_ATTRS = Set.of("token", "slot-id", "object", "id", "type", "manufacturer",
            "model", "serial", "library-manufacturer", "library-description", "library-version", "slot-description",
            "slot-manufacturer");

    /** Whether a command-line key argument is a PKCS#11 URI rather than a file. */
    public static boolean isUri(String arg) {
        return arg.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /**
     * Parses a URI.
     *
     * @throws KeyFormatException with a one-line reason when the URI is malformed, lacks the object or a
     *                            token or slot, or carries a PIN value
     */
    public static Pkcs11Uri parse(String uri) {
        if (!isUri(uri)) {
            throw bad(uri, "does not start with " + SCHEME);
        }
        String rest = uri.substring(SCHEME.length());
        int q = rest.indexOf('?');
        Map<String, String> path = attributes(uri, q < 0 ? rest : rest.substring(0, q), ';');
        Map<String, String> query = attributes(uri, q < 0 ? "" : rest.substring(q + 1), '&');
        for (String k : path.keySet()) {
            if (!PATH_ATTRS.contains(k)) {
                throw bad(uri, "unknown attribute '" + k + "'");
            }
        }
        if (query.containsKey("pin-value")) {
            throw bad(uri, "pin-value would put the PIN on the command line; use pin-source=FILE or the"
                    + " FLOTILLA_PKCS11_PIN environment variable");
        }
        String object = path.get("object");
        if (object == null || object.isEmpty()) {
            throw bad(uri, "object=LABEL (the key's label) is required");
        }
        if (path.containsKey("id")) {
            throw bad(uri, "select the key by object=LABEL (id= is not supported)");
        }
        Long slot = null;
        if (path.containsKey("slot-id")) {
            try {
                slot = Long.parseLong(path.get("slot-id"));
            } catch (NumberFormatException e) {
                throw bad(uri, "slot-id must be a decimal number");
            }
        }
        String token = path.get("token");
        if (token == null && slot == null) {
            throw bad(uri, "name the token (token=LABEL) or the slot (slot-id=N)");
        }
        String pin = query.get("pin-source");
        Path pinFile = pin == null ? null : Path.of(pin.startsWith("file:") ? java.net.URI.create(pin).getPath() : pin);
        return new Pkcs11Uri(token, slot, object, query.get("module-path"), pinFile);
    }

    private static Map<String, String> attributes(String uri, String part, char separator) {
        Map<String, String> out = new LinkedHashMap<>();
        if (part.isEmpty()) {
            return out;
        }
        for (String attr : part.split(java.util.regex.Pattern.quote(String.valueOf(separator)), -1)) {
            int eq = attr.indexOf('=');
            if (eq <= 0) {
                throw bad(uri, "'" + attr + "' is not NAME=VALUE");
            }
            String name = attr.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
            if (out.put(name, decode(uri, attr.substring(eq + 1))) != null) {
                throw bad(uri, "'" + name + "' given twice");
            }
        }
        return out;
    }

    /** RFC 3986 percent-decoding (no '+' for space), UTF-8. */
    private static String decode(String uri, String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    throw bad(uri, "bad percent-encoding in '" + s + "'");
                }
                b.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                b.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static KeyFormatException bad(String uri, String why) {
        return new KeyFormatException("PKCS#11 URI '" + redact(uri) + "': " + why);
    }

    /** The URI without its query (never echo a pin-value back). */
    private static String redact(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q) + "?...";
    }

    /** The URI without its query, for messages. */
    public String describe() {
        return SCHEME + (token != null ? "token=" + token : "slot-id=" + slotId) + ";object=" + object;
    }
}
