package dev.flotilla.cli.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code ./flotilla} launcher's start-up archive (bin/lib/launcher.bash, flotilla_ensure_archive), with
 * the jar that {@code package} built: the first start makes the archive with a training run that exits
 * normally, later starts map it, and an archive that does not fit is skipped without a word.
 */
class LauncherArchiveIT {
    static final Path ROOT = Path.of(System.getProperty("flotilla.root", "..")).toAbsolutePath().normalize();
    static final String VERSION = "flotilla 0.1.0\n";

    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {
    }

    Result flotilla(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("flotilla").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("FLOTILLA_NO_BUILD", "1");
        pb.environment().remove("FLOTILLA_JAVA_OPTS");
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("./flotilla did not finish in 300 s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static String kind() {
        return Runtime.version().feature() >= 25 ? "aot" : "jsa";
    }

    @Test
    void theFirstStartMakesTheArchiveAndLaterStartsMapIt() throws Exception {
        Path archive = tmp.resolve("flotilla." + kind());

        Result first = flotilla(Map.of("FLOTILLA_ARCHIVE", archive.toString()), "--version");

        assertThat(first.exit()).isZero();
        assertThat(first.out()).isEqualTo(VERSION);
        assertThat(first.err()).contains("preparing the start-up archive");
        assertThat(archive).isNotEmptyFile();
        assertThat(tmp.resolve("flotilla." + kind() + ".failed")).doesNotExist();

        Path classes = tmp.resolve("classes.txt");
        Result second = flotilla(Map.of("FLOTILLA_ARCHIVE", archive.toString(),
                "FLOTILLA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes), "--version");

        assertThat(second.exit()).isZero();
        assertThat(second.out()).isEqualTo(VERSION);
        assertThat(second.err()).isEmpty();
        assertThat(Files.readAllLines(classes)).anySatisfy(line ->
                assertThat(line).contains("dev.flotilla.cli.Main source: shared objects file"));
    }

    @Test
    void anArchiveThatDoesNotFitIsSkippedSilently() throws Exception {
        for (String ext : List.of("aot", "jsa")) {
            if (ext.equals("aot") && Runtime.version().feature() < 25) {
                continue;
            }
            Path archive = tmp.resolve("damaged." + ext);
            byte[] junk = new byte[1 << 20];
            new Random(7).nextBytes(junk);
            Files.write(archive, junk);
            Files.setLastModifiedTime(archive, FileTime.from(Instant.now().plusSeconds(60))); // newer than the jar

            Result r = flotilla(Map.of("FLOTILLA_ARCHIVE", archive.toString()), "--version");

            assertThat(r.exit()).as(ext).isZero();
            assertThat(r.out()).as(ext).isEqualTo(VERSION);
            assertThat(r.err()).as(ext).isEmpty();
            assertThat(Files.readAllBytes(archive)).as(ext).isEqualTo(junk); // not remade: it is not stale
        }
    }

    @Test
    void noArchiveIsMadeOrUsedWhenTurnedOff() throws Exception {
        Path archive = tmp.resolve("off." + kind());

        Result r = flotilla(Map.of("FLOTILLA_ARCHIVE", archive.toString(), "FLOTILLA_NO_ARCHIVE", "1"), "--version");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(VERSION);
        assertThat(r.err()).isEmpty();
        assertThat(archive).doesNotExist();
    }
}
