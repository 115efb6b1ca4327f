package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Signed;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever single byte of a signed metadata file (root, timestamp, snapshot, targets) an attacker replaces,
 * the client never ends up trusting content other than what was signed: either the refresh is refused with a
 * {@link RepositoryError} and the tampered bytes are not stored, or what it trusts has exactly the canonical
 * signed bytes of the original (a change that only touched, say, the letter case of a hex signature).
 */
class SingleByteTamperingPropertiesTest {
    private static RepositorySimulator withHashes;
    private static RepositorySimulator withoutHashes;

    private static synchronized RepositorySimulator repository(boolean hashesInMeta) {
        if (hashesInMeta && withHashes == null) {
            withHashes = build(true);
        }
        if (!hashesInMeta && withoutHashes == null) {
            withoutHashes = build(false);
        }
        return hashesInMeta ? withHashes : withoutHashes;
    }

    /** Root v1 trusted by clients; the repository has moved on to root v2 and v2 of everything else. */
    private static RepositorySimulator build(boolean hashesInMeta) {
        RepositorySimulator sim = RepositorySimulator.started();
        sim.hashesInMeta = hashesInMeta;
        sim.addRootKey("targets", TestSigner.ecdsa());
        sim.addRootKey("snapshot", TestSigner.rsa());
        sim.publishRoot();
        sim.addTarget("targets", "fw/device.bin", "firmware".getBytes());
        sim.publish("targets");
        return sim;
    }

    @AfterContainer
    static void closeRepositories() {
        for (RepositorySimulator s : new RepositorySimulator[] {withHashes, withoutHashes}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Provide
    Arbitrary<String> roles() {
        return Arbitraries.of("root", "timestamp", "snapshot", "targets");
    }

    @Property(tries = 200)
    void singleByteChangeIsRefusedOrChangesNothingSigned(@ForAll("roles") String role,
                                                          @ForAll @IntRange(min = 0, max = 1_000_000) int where,
                                                          @ForAll byte replacement,
                                                          @ForAll boolean hashesInMeta,
                                                          @ForAll boolean keepJsonValid) throws IOException {
        RepositorySimulator sim = repository(hashesInMeta);
        String path = switch (role) {
            case "root" -> "metadata/2.root.json";
            case "timestamp" -> "metadata/timestamp.json";
            default -> sim.metaPath(role, 2);
        };
        byte[] original = sim.file(path);
        byte[] tampered = original.clone();
        int pos = where % original.length;
        tampered[pos] = replace(original[pos], replacement, keepJsonValid);
        Path dir = Files.createTempDirectory("tamper");
        sim.override(path, tampered);
        try {
            TestClient client = new TestClient(sim, dir);
            Updater u = client.updater();
            Optional<RepositoryError> refused = Optional.empty();
            try {
                u.refresh();
            } catch (RepositoryError e) {
                refused = Optional.of(e);
            }
            Statistics.collect(role, refused.map(e -> e.reason().name()).orElse("accepted"));
            Optional<byte[]> stored = client.local(role + ".json");
            if (refused.isPresent()) {
                assertThat(stored).as("tampered bytes are never stored")
                        .satisfiesAnyOf(s -> assertThat(s).isEmpty(),
                                s -> assertThat(s.orElseThrow()).isNotEqualTo(tampered));
                if (role.equals("root")) {
                    assertThat(client.localVersion("root.json")).isEqualTo(1);
                }
            } else {
                Metadata<? extends Signed> trusted = switch (role) {
                    case "root" -> u.trusted().root();
                    case "timestamp" -> u.trusted().timestamp().orElseThrow();
                    case "snapshot" -> u.trusted().snapshot().orElseThrow();
                    default -> u.trusted().targets("targets").orElseThrow();
                };
                byte[] signedOriginal = Metadata.fromBytes(original).signedBytes();
                assertThat(trusted.signedBytes()).as("accepted only if the signed content is unchanged")
                        .isEqualTo(signedOriginal);
                assertThat(Metadata.fromBytes(stored.orElseThrow()).signedBytes()).isEqualTo(signedOriginal);
            }
        } finally {
            sim.clearOverrides();
            deleteTree(dir);
        }
    }

    /**
     * The new byte: anything, or (to get past the parser more often and reach the signature and hash checks)
     * for a letter or digit another letter or digit.
     */
    static byte replace(byte old, byte proposed, boolean keepJsonValid) {
        String alnum = "0123456789abcdefABCDEFxyz";
        byte b = proposed;
        if (keepJsonValid && Character.isLetterOrDigit((char) old)) {
            b = (byte) alnum.charAt((proposed & 0xFF) % alnum.length());
            if (b == old) {
                b = (byte) alnum.charAt(((proposed & 0xFF) + 1) % alnum.length());
            }
        }
        return b == old ? (byte) ~b : b;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
