package dev.flotilla.cli.tufclient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tuf-conformance client protocol, exercised against a {@link TestRepository} on loopback. Subclasses
 * say how the client runs: in this JVM or as a real {@code bin/tuf-client} process.
 */
abstract class TufClientScenarios {
    static final byte[] A = "first target\n".getBytes(StandardCharsets.UTF_8);
    static final byte[] B = "second target, in a subdirectory\n".getBytes(StandardCharsets.UTF_8);

    /** What one run of the client left: exit code, standard output, standard error. */
    record Result(int exit, String out, String err) {
    }

    @TempDir
    Path tmp;
    TestRepository repo;
    Path metadataDir;
    Path targetDir;

    /** Runs the client with the given arguments. */
    abstract Result run(String... args) throws Exception;

    @BeforeEach
    void startRepository() throws Exception {
        Map<String, byte[]> targets = new LinkedHashMap<>();
        targets.put("a.bin", A);
        targets.put("fw/b.bin", B);
        repo = new TestRepository(targets);
        metadataDir = tmp.resolve("metadata");
        targetDir = tmp.resolve("targets");
        Files.createDirectories(metadataDir);
        Files.createDirectories(targetDir);
    }

    @AfterEach
    void stopRepository() {
        repo.close();
    }

    Result init() throws Exception {
        Path trusted = tmp.resolve("initial_root.json");
        Files.write(trusted, repo.root());
        return run("--metadata-dir", metadataDir.toString(), "init", trusted.toString());
    }

    Result refresh() throws Exception {
        return run("--metadata-url", repo.metadataUrl().toString(), "--metadata-dir", metadataDir.toString(),
                "refresh");
    }

    Result download(String... names) throws Exception {
        List<String> args = new ArrayList<>(List.of("--metadata-url", repo.metadataUrl().toString(),
                "--metadata-dir", metadataDir.toString()));
        for (String n : names) {
            args.add("--target-name");
            args.add(n);
        }
        args.addAll(List.of("--target-dir", targetDir.toString(), "--target-base-url", repo.targetsUrl().toString(),
                "download"));
        return run(args.toArray(String[]::new));
    }

    List<String> targetRequests() {
        return repo.requests().stream().filter(p -> p.startsWith("/targets/")).toList();
    }

    static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void assertOneLineFailure(Result r, String expected) {
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(expected);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception in thread");
    }

    @Test
    void initCopiesTheTrustedRootWithoutTouchingTheNetwork() throws Exception {
        Result r = init();

        assertThat(r.exit()).isZero();
        assertThat(Files.readAllBytes(metadataDir.resolve("root.json"))).isEqualTo(repo.root());
        assertThat(repo.requests()).isEmpty();
    }

    @Test
    void refreshKeepsTrustedMetadataUnderUnversionedNames() throws Exception {
        init();
        Result r = refresh();

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(names(metadataDir)).containsExactly("root.json", "snapshot.json", "targets.json",
                "timestamp.json");
        assertThat(Files.readAllBytes(metadataDir.resolve("timestamp.json")))
                .isEqualTo(repo.file("/metadata/timestamp.json"));
        assertThat(Files.readAllBytes(metadataDir.resolve("snapshot.json")))
                .isEqualTo(repo.file("/metadata/1.snapshot.json"));
        assertThat(Files.readAllBytes(metadataDir.resolve("targets.json")))
                .isEqualTo(repo.file("/metadata/1.targets.json"));
        assertThat(repo.requests()).containsExactly("/metadata/2.root.json", "/metadata/timestamp.json",
                "/metadata/1.snapshot.json", "/metadata/1.targets.json");
    }

    @Test
    void downloadFetchesTargetsInTheGivenOrderThroughTheDelegation() throws Exception {
        init();
        Result r = download("fw/b.bin", "a.bin");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(repo.requests()).containsExactly("/metadata/2.root.json", "/metadata/timestamp.json",
                "/metadata/1.snapshot.json", "/metadata/1.targets.json", "/metadata/1.firmware.json",
                "/targets/fw/" + TestRepository.sha256(B) + ".b.bin",
                "/targets/" + TestRepository.sha256(A) + ".a.bin");
        assertThat(Files.readAllBytes(targetDir.resolve("a.bin"))).isEqualTo(A);
        assertThat(Files.readAllBytes(targetDir.resolve("fw%2Fb.bin"))).isEqualTo(B);
        assertThat(names(targetDir)).containsExactly("a.bin", "fw%2Fb.bin");
        assertThat(names(metadataDir)).containsExactly("firmware.json", "root.json", "snapshot.json",
                "targets.json", "timestamp.json");
        assertThat(Files.readAllBytes(metadataDir.resolve("firmware.json")))
                .isEqualTo(repo.file("/metadata/1.firmware.json"));
    }

    @Test
    void aSecondDownloadUsesTheCachedTargetsAndFetchesNoTargetBytes() throws Exception {
        init();
        assertThat(download("a.bin", "fw/b.bin").exit()).isZero();
        repo.clearRequests();

        Result again = download("a.bin", "fw/b.bin");

        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(targetRequests()).isEmpty();
        assertThat(repo.requests()).contains("/metadata/timestamp.json");
    }

    @Test
    void aTamperedTargetFailsWithOneLineAndLeavesNothingBehind() throws Exception {
        init();
        byte[] evil = A.clone();
        evil[0] ^= 1;
        repo.tamperTarget("a.bin", evil);

        Result r = download("a.bin");

        assertOneLineFailure(r, "LENGTH_OR_HASH_MISMATCH");
        assertThat(names(targetDir)).isEmpty();
    }

    @Test
    void aTimestampSignedByAnUnknownKeyFailsTheRefreshAndKeepsTheTrustedOne() throws Exception {
        init();
        assertThat(refresh().exit()).isZero();
        byte[] trusted = Files.readAllBytes(metadataDir.resolve("timestamp.json"));
        repo.putTimestamp(2, TestRepository.Ed25519Signer.generate());

        Result r = refresh();

        assertOneLineFailure(r, "UNSIGNED");
        assertThat(Files.readAllBytes(metadataDir.resolve("timestamp.json"))).isEqualTo(trusted);
    }

    @Test
    void anUnknownTargetFailsWithOneLine() throws Exception {
        init();

        assertOneLineFailure(download("a.bin", "missing.bin"), "missing.bin");
        assertThat(Files.readAllBytes(targetDir.resolve("a.bin"))).isEqualTo(A);
    }

    @Test
    void refreshWithoutARootFailsWithOneLine() throws Exception {
        assertOneLineFailure(refresh(), "root.json");
    }
}
