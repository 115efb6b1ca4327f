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
}
