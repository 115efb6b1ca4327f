package dev.flotilla.core.keys;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Pem;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.client.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads and writes Flotilla key files.
 * <ul>
 *   <li>Private key file ({@code NAME.pem}): a PKCS#8 {@code PRIVATE KEY} PEM block followed by the
 *   matching {@code PUBLIC KEY} (SubjectPublicKeyInfo) block. Created with POSIX mode 0600 at creation
 *   time (never readable by others, not even briefly); an existing file is never overwritten.</li>
 *   <li>Public key file ({@code NAME.pub.json}): the TUF key object ({@link Key#toJson()}).</li>
 * </ul>
 * Every read failure is a {@link KeyFormatException} whose message starts with the file's path.
 */
public final class KeyFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";
    private static final byte[] PROBE = "flotilla key pair check".getBytes(StandardCharsets.US_ASCII);

    private KeyFiles() {
    }

    /** The files of a generated key and its TUF public key. */
    public record GeneratedKey(Path privateKeyFile, Path publicKeyFile, Key key) {
    }

    /**
     * Generates a key pair and writes {@code DIR/NAME.pem} (mode 0600) and {@code DIR/NAME.pub.json}.
     *
     * @throws IOException when either file already exists (nothing is written then) or writing fails
     */
    public static GeneratedKey generate(KeyType type, Path dir, String name) throws IOException {
        Path privateFile = dir.resolve(name + ".pem");
        Path publicFile = dir.resolve(name + ".pub.json");
        for (Path p : new Path[] {privateFile, publicFile}) {
            if (Files.exists(p)) {
                throw new FileAlreadyExistsException(p.toString(), null, "refusing to overwrite a key file");
            }
        }
        Files.createDirectories(dir);
        KeyPair pair = KeyPairs.generate(type);
        Key key = Key.of(type, pair.getPublic());
        writePrivateKey(privateFile, pair);
        try {
            writePublicKey(publicFile, key);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(privateFile);
            throw e;
        }
        return new GeneratedKey(privateFile, publicFile, key);
    }

    /**
     * Writes a private key file: created new with mode 0600 (on POSIX file systems), removed again when
     * writing fails.
     *
     * @throws FileAlreadyExistsException when the file exists
     */
    public static void writePrivateKey(Path file, KeyPair pair) throws IOException {
        String pem = Pem.encode(pair.getPrivate().getEncoded(), PRIVATE) + Pem.encode(pair.getPublic().getEncoded(), PUBLIC);
        byte[] bytes = pem.getBytes(StandardCharsets.US_ASCII);
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
        try (SeekableByteChannel ch = Files.newByteChannel(file, options, attrs)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException | RuntimeException e) {
            if (!(e instanceof FileAlreadyExistsException)) {
                Files.deleteIfExists(file);
            }
            throw e;
        }
    }

    /** Writes a public key file: the TUF key JSON, pretty-printed (replaced atomically if present). */
    public static void writePublicKey(Path file, Key key) throws IOException {
        AtomicFiles.write(file, CanonicalJson.pretty(key.toJson()));
    }

    /**
     * Loads a signer from a private key file.
     *
     * @throws KeyFormatException when the file cannot be read, is not a private key file, holds an
     *                            unsupported key, or its two blocks do not belong together
     */
    public static KeySigner loadSigner(Path file) {
        String text = readText(file);
        if (!Pem.contains(text, PRIVATE)) {
            throw bad(file, "not a private key file (no PEM '" + PRIVATE + "' block)", null);
        }
        if (!Pem.contains(text, PUBLIC)) {
            throw bad(file, "the private key file lacks its '" + PUBLIC + "' block", null);
        }
        try {
            byte[] pkcs8 = Pem.decode(text, PRIVATE);
            byte[] spki = Pem.decode(text, PUBLIC);
            KeyType type = detectType(spki);
            PrivateKey privateKey = KeyFactory.getInstance(KeyPairs.jcaAlgorithm(type))
                    .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            Key key = Key.of(type, publicKey(type, spki));
            if (!Signatures.verify(type, key.publicKey(), Signatures.sign(type, privateKey, PROBE), PROBE)) {
                throw bad(file, "the private and public key blocks do not belong to the same key", null);
            }
            return new KeySigner(type, privateKey, key);
        } catch (GeneralSecurityException | KeyFormatException e) {
            if (e instanceof KeyFormatException k && k.getMessage().startsWith(file.toString())) {
                throw k;
            }
            throw bad(file, e.getMessage(), e);
        }
    }

    /**
     * Loads a public key from a TUF key JSON file, a PEM {@code PUBLIC KEY} file, or a private key file.
     *
     * @throws KeyFormatException when the file cannot be read or holds no supported key
     */
    public static Key loadPublicKey(Path file) {
        String text = readText(file);
        if (Pem.contains(text, PRIVATE)) {
            return loadSigner(file).publicKey();
        }
        try {
            if (!text.strip().startsWith("{") && Pem.contains(text, PUBLIC)) {
                byte[] spki = Pem.decode(text, PUBLIC);
                KeyType type = detectType(spki);
                return Key.of(type, publicKey(type, spki));
            }
            JsonNode json = CanonicalJson.parse(text.getBytes(StandardCharsets.UTF_8));
            Key key = Key.fromJson(json);
            key.publicKey();
            return key;
        } catch (JsonFormatException | RepositoryError | KeyFormatException | GeneralSecurityException e) {
            throw bad(file, "not a public key file (TUF key JSON or PEM): " + e.getMessage(), e);
        }
    }

    private static KeyType detectType(byte[] spki) {
        for (KeyType type : KeyType.values()) {
            try {
                PublicKey k = publicKey(type, spki);
                Key.of(type, k).publicKey();
                return type;
            } catch (GeneralSecurityException | KeyFormatException | ClassCastException e) {
                // try the next type
            }
        }
        throw new KeyFormatException("unsupported public key (need Ed25519, ECDSA P-256 or RSA)");
    }

    private static PublicKey publicKey(KeyType type, byte[] spki) throws GeneralSecurityException {
        return KeyFactory.getInstance(KeyPairs.jcaAlgorithm(type)).generatePublic(new X509EncodedKeySpec(spki));
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw bad(file, "cannot read key file: " + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.charset.CharacterCodingException || e instanceof java.io.UncheckedIOException) {
            return "not a text file";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static KeyFormatException bad(Path file, String message, Throwable cause) {
        return new KeyFormatException(file + ": " + message, cause);
    }
}
