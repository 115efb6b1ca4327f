package dev.flotilla.cli.tufclient;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The tuf-client protocol run in this JVM, through the same command line that {@code main} builds. */
class TufClientCommandTest extends TufClientScenarios {
    @Override
    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = TufClientCommand.newCommandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void aMissingRequiredOptionExitsOneWithOneLine() {
        Result r = run("refresh");

        assertOneLineFailure(r, "--metadata-dir");
    }

    @Test
    void downloadWithoutATargetDirExitsOneWithOneLine() throws Exception {
        init();

        Result r = run("--metadata-dir", metadataDir.toString(), "--metadata-url", repo.metadataUrl().toString(),
                "--target-name", "a.bin", "--target-base-url", repo.targetsUrl().toString(), "download");

        assertOneLineFailure(r, "--target-dir");
    }

    @Test
    void noSubcommandExitsOneWithOneLine() {
        assertOneLineFailure(run("--metadata-dir", metadataDir.toString()), "missing command");
    }

    @Test
    void theMainCommandReachesTheSameClient() throws Exception {
        java.nio.file.Path trusted = tmp.resolve("root-copy.json");
        java.nio.file.Files.write(trusted, repo.root());

        int exit = new CommandLine(new dev.flotilla.cli.Main())
                .execute("tuf-client", "--metadata-dir", metadataDir.toString(), "init", trusted.toString());

        assertThat(exit).isZero();
        assertThat(java.nio.file.Files.readAllBytes(metadataDir.resolve("root.json"))).isEqualTo(repo.root());
    }

    @Test
    void jsonSaysWhatEachStepDidOnOneLine() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        Result init = run("--json", "--metadata-dir", metadataDir.toString(), "init",
                java.nio.file.Files.write(tmp.resolve("trusted.json"), repo.root()).toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(mapper.readTree(init.out()).path("root").asText())
                .isEqualTo(metadataDir.resolve("root.json").toString());

        Result refresh = run("--json", "--metadata-url", repo.metadataUrl().toString(), "--metadata-dir",
                metadataDir.toString(), "refresh");
        assertThat(refresh.exit()).as(refresh.err()).isZero();
        assertThat(refresh.out().strip()).doesNotContain("\n");
        var r = mapper.readTree(refresh.out());
        assertThat(r.path("metadataDir").asText()).isEqualTo(metadataDir.toString());
        for (String role : new String[] {"root", "timestamp", "snapshot", "targets"}) {
            assertThat(r.path("versions").path(role).asLong()).as(role).isEqualTo(mapper.readTree(
                    metadataDir.resolve(role + ".json").toFile()).path("signed").path("version").asLong()).isPositive();
        }

        String[] download = {"--json", "--metadata-url", repo.metadataUrl().toString(), "--metadata-dir",
                metadataDir.toString(), "--target-name", "a.bin", "--target-name", "fw/b.bin", "--target-dir",
                targetDir.toString(), "--target-base-url", repo.targetsUrl().toString(), "download"};
        Result first = run(download);
        assertThat(first.exit()).as(first.err()).isZero();
        var targets = mapper.readTree(first.out()).path("targets");
        assertThat(targets).hasSize(2);
        assertThat(targets.path(0).path("name").asText()).isEqualTo("a.bin");
        assertThat(targets.path(0).path("length").asLong()).isEqualTo(A.length);
        assertThat(targets.path(0).path("cached").asBoolean()).isFalse();
        assertThat(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(targets.path(0).path("file").asText())))
                .isEqualTo(A);
        assertThat(targets.path(1).path("name").asText()).isEqualTo("fw/b.bin");
        assertThat(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(targets.path(1).path("file").asText())))
                .isEqualTo(B);
        Result again = run(download);
        assertThat(mapper.readTree(again.out()).path("targets").path(1).path("cached").asBoolean()).isTrue();

        Result plain = refresh();
        assertThat(plain.exit()).isZero();
        assertThat(plain.out()).isEmpty();
        Result failed = run("--json", "--metadata-dir", metadataDir.toString(), "init", tmp.resolve("missing").toString());
        assertOneLineFailure(failed, "no such file");
        assertThat(failed.out()).isEmpty();
    }
}
