package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * A {@link Signer} whose private key stays on a PKCS#11 token (a hardware token, an HSM, or SoftHSM in the
 * tests), used through the JDK's SunPKCS11 provider. The key is found by its label ({@link Pkcs11Uri#object()})
 * among the token's private key entries; SunPKCS11 shows a private key only together with a certificate of the
 * same label and id (as {@code keytool -genkeypair -storetype PKCS11} creates them), whose public key becomes
 * the TUF key. Supported: ECDSA P-256 ({@code ecdsa-sha2-nistp256}) and RSA ({@code rsassa-pss-sha256});
 * SunPKCS11 has no EdDSA, so Ed25519 keys must stay in key files.
 */
public final class Pkcs11Signer implements Signer {
    /** Environment variable with the user PIN when the URI has no {@code pin-source}. */
    public static final String PIN_ENV = "FLOTILLA_PKCS11_PIN";
    /** Environment variable with the module path when the URI has no {@code module-path}. */
    public static final String MODULE_ENV = "FLOTILLA_PKCS11_MODULE";
    private static final byte[] PROBE = "flotilla pkcs11 key check".getBytes(StandardCharsets.US_ASCII);
    private static final Map<String, Provider> PROVIDERS = new ConcurrentHashMap<>();

    private final Pkcs11Uri uri;
    private final KeyType type;
    private final PrivateKey privateKey;
    private final Provider provider;
    private final Key publicKey;

    private Pkcs11Signer(Pkcs11Uri uri, KeyType type, PrivateKey privateKey, Provider provider, Key publicKey) {
        this.uri = uri;
        this.type = type;
        this.privateKey = privateKey;
        this.provider = provider;
        this.publicKey = publicKey;
    }

    /**
     * Logs in to the token and finds the key; checks with a test signature that the token's private key
     * matches its certificate.
     *
     * @param env environment lookup (FLOTILLA_PKCS11_PIN, FLOTILLA_PKCS11_MODULE)
     * @throws KeyFormatException with a one-line reason (no module, no PIN, wrong PIN, no such token or key,
     *                            an unsupported key type)
     */
    public static Pkcs11Signer open(Pkcs11Uri uri, UnaryOperator<String> env) {
        String where = uri.describe();
        String module = uri.modulePath() != null ? uri.modulePath() : env.apply(MODULE_ENV);
        if (module == null || module.isBlank()) {
            throw new KeyFormatException(where + ": no PKCS#11 module: add ?module-path=/path/to/module.so to the URI"
                    + " or set " + MODULE_ENV);
        }
        if (!Files.isReadable(Path.of(module))) {
            throw new KeyFormatException(where + ": PKCS#11 module " + module + " not found");
        }
        char[] pin = pin(uri, env);
        try {
            long slot = uri.token() != null ? Pkcs11Slots.slotOf(module, uri.token()) : uri.slotId();
            if (uri.token() != null && uri.slotId() != null && slot != uri.slotId()) {
                throw new KeyFormatException(where + ": token '" + uri.token() + "' is in slot " + slot + ", not "
                        + uri.slotId());
            }
            Provider provider = PROVIDERS.computeIfAbsent(module + "#" + slot, k -> configure(module, slot));
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            if (!(store.getKey(uri.object(), null) instanceof PrivateKey key)) {
                throw new KeyFormatException(where + ": the token has no private key labelled '" + uri.object()
                        + "' with its certificate (create keys with keytool -genkeypair -storetype PKCS11, see"
                        + " docs/security-model.md)");
            }
            Certificate cert = store.getCertificate(uri.object());
            PublicKey pub = cert.getPublicKey();
            KeyType type = typeOf(where, pub);
            Key tufKey = Key.of(type, pub);
            tufKey.publicKey();
            Pkcs11Signer signer = new Pkcs11Signer(uri, type, key, provider, tufKey);
            if (!Signatures.verify(type, pub, signer.sign(PROBE), PROBE)) {
                throw new KeyFormatException(where + ": the token's private key does not match its certificate");
            }
            return signer;
        } catch (IOException e) {
            throw new KeyFormatException(where + ": cannot log in to the token: " + loginFailure(e), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof KeyFormatException k) {
                throw k;
            }
            throw new KeyFormatException(where + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /** The innermost message of a failed login, {@code wrong PIN} for CKR_PIN_INCORRECT. */
    private static String loginFailure(Throwable e) {
        String last = e.toString();
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && m.contains("CKR_PIN_INCORRECT")) {
                return "wrong PIN";
            }
            if (m != null && m.contains("CKR_PIN_LOCKED")) {
                return "the PIN is locked";
            }
            if (m != null) {
                last = m;
            }
        }
        return last;
    }

    private static char[] pin(Pkcs11Uri uri, UnaryOperator<String> env) {
        if (uri.pinSource() != null) {
            try {
                String text = Files.readString(uri.pinSource(), StandardCharsets.UTF_8);
                return text.strip().toCharArray();
            } catch (IOException | RuntimeException e) {
                throw new KeyFormatException(uri.describe() + ": cannot read the PIN file " + uri.pinSource(), e);
            }
        }
        String pin = env.apply(PIN_ENV);
        if (pin == null || pin.isEmpty()) {
            throw new KeyFormatException(uri.describe() + ": no PIN: add ?pin-source=FILE to the URI or set " + PIN_ENV);
        }
        return pin.toCharArray();
    }

    private static Provider configure(String module, long slot) {
        String config = "--name=flotilla-" + Integer.toHexString(module.hashCode()) + "-" + slot + "\n"
                + "library=" + module + "\n" + "slot=" + slot + "\n";
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new KeyFormatException("this JDK has no SunPKCS11 provider");
        }
        try {
            return base.configure(config);
        } catch (RuntimeException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new KeyFormatException("PKCS#11 module " + module + ", slot " + slot + ": " + c.getMessage(), e);
        }
    }

    private static KeyType typeOf(String where, PublicKey pub) {
        if (pub instanceof ECPublicKey) {
            return KeyType.ECDSA_P256; // Key.publicKey() then refuses other curves
        }
        if (pub instanceof RSAPublicKey) {
            return KeyType.RSA;
        }
        throw new KeyFormatException(where + ": unsupported key type " + pub.getAlgorithm()
                + " (a PKCS#11 key must be ECDSA P-256 or RSA)");
    }

    public KeyType type() {
        return type;
    }

    @Override
    public Key publicKey() {
        return publicKey;
    }

    /** Signs on the token: the private key never leaves it. */
    @Override
    public byte[] sign(byte[] data) {
        return Signatures.sign(type, privateKey, data, provider);
    }

    @Override
    public String toString() {
        return "Pkcs11Signer[" + type + " " + publicKey.keyId() + " " + uri.describe() + "]";
    }
}
