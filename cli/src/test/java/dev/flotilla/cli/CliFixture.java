package dev.flotilla.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Keys generated through the CLI and an initialised repository, for command tests. */
public final class CliFixture {
    public final Path keys;
    public final Path repo;

    public CliFixture(Path tmp) {
        keys = tmp.resolve("keys");
        repo = tmp.resolve("repo");
    }

    public Path pub(String name) {
        return keys.resolve(name + ".pub.json");
    }

    public Path key(String name) {
        return keys.resolve(name + ".pem");
    }

    public CliFixture generate(String type, String... names) {
        for (String n : names) {
            CliRun run = CliRun.of("keys", "generate", "--type", type, "--out", keys, "--name", n);
            assertThat(run.exitCode()).as(run.err()).isZero();
        }
        return this;
    }

    /** root1..3 (2 of 3), targets, snapshot, timestamp keys, and {@code trust init} signed by root1, root2. */
    public CliFixture init() {
        generate("ed25519", "root1", "root2", "targets", "timestamp");
        generate("ecdsa-p256", "root3", "snapshot");
        CliRun run = CliRun.of("trust", "init", "--out", repo,
                "--root-key", pub("root1"), pub("root2"), pub("root3"), "--root-threshold", 2,
                "--targets-key", pub("targets"), "--snapshot-key", pub("snapshot"), "--timestamp-key", pub("timestamp"),
                "--sign-with", key("root1"), key("root2"));
        assertThat(run.exitCode()).as(run.err()).isZero();
        return this;
    }

    /** Every file under a directory with its bytes (as a string of hex-free content identity). */
    public static Map<String, String> tree(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                out.put(dir.relativize(p).toString(), Files.isRegularFile(p)
                        ? java.util.HexFormat.of().formatHex(Files.readAllBytes(p)) : "<dir>");
            }
        }
        return out;
    }

    /** A failed run: non-zero exit, exactly one line on stderr starting with the tool's prefix. */
    public static void assertOneLineError(CliRun run, String expectedFragment) {
        assertThat(run.exitCode()).as(run.out()).isNotZero();
        assertThat(run.err()).startsWith("flotilla: error: ").contains(expectedFragment).doesNotContain("\tat ");
        assertThat(run.err().strip().lines()).hasSize(1);
    }
}
