package dev.flotilla.cli.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The one rule for a server's token and CA bundle ({@link ServerOptions#credentials}), which every command that
 * talks to a server and {@code flotilla sim --server} follow (and {@code flotilla sim device}, for the CA bundle
 * alone: {@link ServerOptions#caBundle}): given values first, else the saved profile's, and the profile's only for
 * the server it was saved for.
 */
class ServerOptionsTest {
    private static final String SAVED = "https://ota.example.com:8443";
    private static final Path SAVED_CA = Path.of("/etc/flotilla/saved-ca.pem");
    private final AtomicInteger reads = new AtomicInteger();
    private final Supplier<Optional<Profile>> profile = () -> {
        reads.incrementAndGet();
        return Optional.of(new Profile(SAVED, "saved-token", SAVED_CA));
    };

    @Test
    void theSavedTokenAndCaBundleAreUsedForTheServerTheyWereSavedFor() {
        ServerOptions.Credentials c = ServerOptions.credentials(SAVED + "/", true, null, null, profile);
        assertThat(c.server()).isEqualTo(URI.create(SAVED + "/"));
        assertThat(c.token()).isEqualTo("saved-token");
        assertThat(c.caBundle()).isEqualTo(SAVED_CA);
    }

    @Test
    void anotherServerGetsNeitherTheSavedTokenNorTheSavedCaBundle() {
        assertThatThrownBy(() -> ServerOptions.credentials("https://other.example.com", true, null, null, profile))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no token: pass --token TOKEN, set FLOTILLA_TOKEN, or save one with"
                        + " 'flotilla login --server https://other.example.com'");
        ServerOptions.Credentials c = ServerOptions.credentials("https://other.example.com", false, "given", null,
                profile);
        assertThat(c.token()).isEqualTo("given");
        assertThat(c.caBundle()).as("the saved CA bundle is for the saved server only").isNull();
    }

    @Test
    void givenValuesWinAndWithAServerAndATokenGivenTheProfileIsNotRead() {
        Path given = Path.of("/tmp/given-ca.pem");
        ServerOptions.Credentials c = ServerOptions.credentials(SAVED, true, "given", given, profile);
        assertThat(c.token()).isEqualTo("given");
        assertThat(c.caBundle()).isEqualTo(given);
        ServerOptions.Credentials noCa = ServerOptions.credentials(SAVED, true, "given", null, profile);
        assertThat(noCa.caBundle()).isNull();
        assertThat(reads).hasValue(0);
    }

    @Test
    void theSavedServerWithAGivenTokenStillTakesTheSavedCaBundle() {
        ServerOptions.Credentials c = ServerOptions.credentials(SAVED, false, "given", null, profile);
        assertThat(c.token()).isEqualTo("given");
        assertThat(c.caBundle()).isEqualTo(SAVED_CA);
    }

    /** {@code flotilla sim device}: a CA bundle without a token, by the same rule. */
    @Test
    void theCaBundleAloneIsTheGivenOneElseTheSavedOneOnlyForItsServer() {
        Path given = Path.of("/tmp/given-ca.pem");
        assertThat(ServerOptions.caBundle(SAVED, given, profile)).isEqualTo(given);
        assertThat(reads).as("a given CA bundle: the profile is not read").hasValue(0);
        assertThat(ServerOptions.caBundle(SAVED + "/", null, profile)).isEqualTo(SAVED_CA);
        assertThat(ServerOptions.caBundle("https://other.example.com", null, profile)).isNull();
    }

    @Test
    void aServerThatIsNotAnHttpUrlIsRefused() {
        assertThatThrownBy(() -> ServerOptions.credentials("ftp://127.0.0.1:1", true, "t", null, profile))
                .hasMessage("--server: not an http(s) URL: ftp://127.0.0.1:1");
    }

    @Test
    void theCredentialsNeverPrintTheToken() {
        assertThat(ServerOptions.credentials(SAVED, true, "secret-token", null, profile).toString())
                .doesNotContain("secret-token");
    }
}
