package dev.flotilla.cli.tufclient;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast entry point of {@code bin/tuf-client}, run in this JVM: same scenarios, plus its own parser. */
class TufClientMainTest extends TufClientScenarios {
    @Override
    Result run(String... args) {
        StringWriter err = new StringWriter();
        int exit = TufClientMain.run(args, new PrintWriter(err, true));
        return new Result(exit, "", err.toString());
    }

    @Test
    void parsesTheProtocolInEitherOptionSpelling() {
        TufClientMain.Call call = TufClientMain.parse(new String[] {"--metadata-url=http://h/m/", "--metadata-dir",
                "/d", "--target-name", "b", "--target-name=a", "-vv", "--target-dir", "/t", "--target-base-url",
                "http://h/t/", "download"}).orElseThrow();

        assertThat(call.command()).isEqualTo("download");
        assertThat(call.options().metadataDir()).isEqualTo(Path.of("/d"));
        assertThat(call.options().metadataUrl()).hasToString("http://h/m/");
        assertThat(call.options().targetNames()).containsExactly("b", "a");
        assertThat(call.options().targetDir()).isEqualTo(Path.of("/t"));
        assertThat(call.options().targetBaseUrl()).hasToString("http://h/t/");
        assertThat(call.options().verbose()).isTrue();
    }

    @Test
    void leavesAnythingElseToThePicocliCommand() {
        assertThat(TufClientMain.parse(new String[] {"--help"})).isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--json", "--metadata-dir", "/d", "refresh"})).isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--metadata-dir", "/d", "init"})).isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--metadata-dir", "/d", "refresh", "extra"})).isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--metadata-dir", "/d", "--metadata-dir", "/e", "refresh"}))
                .isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--metadata-dir", "/d", "--colour", "x", "refresh"})).isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--metadata-url", "http://h/", "refresh"})).isEmpty();
        assertThat(TufClientMain.parse(new String[] {"--metadata-dir"})).isEmpty();
    }

    @Test
    void aMalformedCallExitsOneWithOneLine() {
        assertOneLineFailure(run("--metadata-dir", "/d", "--colour", "x", "refresh"), "--colour");
        assertOneLineFailure(run("refresh"), "--metadata-dir");
    }
}
