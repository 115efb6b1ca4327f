package dev.flotilla.core.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaBundleTest {
    @TempDir
    Path dir;

    @Test
    void aBundleOfOneOrMoreCertificatesLoadsAndBadFilesAreOneLineNamingTheFile() throws Exception {
        TestCa ca = TestCa.create(dir.resolve("ca"));
        assertThat(CaBundle.sslContext(ca.caPem())).isNotNull();
        assertThat(CaBundle.sslContext(ca.serverCert())).isNotNull(); // two certificates in one file

        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> CaBundle.sslContext(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(missing + ": no such file");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertThatThrownBy(() -> CaBundle.sslContext(empty)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(empty + ": no certificate in it (expected one or more PEM -----BEGIN CERTIFICATE----- "
                        + "blocks)");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN CERTIFICATE-----\nnope\n"
                + "-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> CaBundle.sslContext(garbage)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(garbage + ": not a PEM certificate bundle: ");
    }

    @Test
    void anUntrustedCertificateIsDescribedInAFewWords() {
        assertThat(CaBundle.describe(new SSLHandshakeException("PKIX path building failed: sun.security.provider"
                + ".certpath.SunCertPathBuilderException: unable to find valid certification path to requested target")))
                .isEqualTo("the server's TLS certificate is not trusted: no path to a trusted CA");
        assertThat(CaBundle.describe(new SSLHandshakeException("Received fatal alert: handshake_failure")))
                .isEqualTo("TLS failed: Received fatal alert: handshake_failure");
    }
}
