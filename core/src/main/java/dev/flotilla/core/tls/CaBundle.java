package dev.flotilla.core.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * A CA bundle: a PEM file with one or more certificates that HTTPS servers are checked against instead of
 * the JDK's default trust store, for servers whose certificate a private CA signed. Shared by the agent
 * ({@code caBundle}) and the CLI ({@code --ca-bundle}, {@code FLOTILLA_CA_BUNDLE}).
 */
public final class CaBundle {
    private CaBundle() {
    }

    /**
     * A TLS context that trusts exactly the certificates in {@code pemFile}.
     *
     * @throws IllegalArgumentException (one line naming the file) when it cannot be read or holds no certificate
     */
    public static SSLContext sslContext(Path pemFile) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, trustManagers(pemFile).getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pemFile + ": cannot build a trust store: " + e.getMessage(), e);
        }
    }

    /**
     * Trust managers that trust exactly the certificates in {@code pemFile} (for clients that take a
     * {@link TrustManagerFactory} rather than an {@link SSLContext}, such as the MQTT client).
     *
     * @throws IllegalArgumentException (one line naming the file) when it cannot be read or holds no certificate
     */
    public static TrustManagerFactory trustManagers(Path pemFile) {
        byte[] pem;
        try {
            pem = Files.readAllBytes(pemFile);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(pemFile + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(pemFile + ": cannot read: " + e.getMessage());
        }
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        } catch (CertificateException e) {
            throw new IllegalArgumentException(pemFile + ": not a PEM certificate bundle: " + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(pemFile + ": no certificate in it (expected one or more PEM "
                    + "-----BEGIN CERTIFICATE----- blocks)");
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            return tmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(pemFile + ": cannot build a trust store: " + e.getMessage(), e);
        }
    }

    /** Makes {@code connection} (when it is HTTPS and {@code ctx} is not null) trust only {@code ctx}'s CAs. */
    public static void apply(URLConnection connection, SSLContext ctx) {
        if (ctx != null && connection instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(ctx.getSocketFactory());
        }
    }

    /**
     * A TLS failure in a few words: an untrusted certificate ({@code PKIX path building failed: ...}, with
     * the JDK's internal class names) becomes "the server's TLS certificate is not trusted", anything else
     * keeps its message.
     */
    public static String describe(SSLException e) {
        return describe(e, "server");
    }

    /** {@link #describe(SSLException)} for a peer called {@code peer} ("server", "broker"). */
    public static String describe(SSLException e, String peer) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("PKIX path") || m.contains("unable to find valid certification path")) {
            return "the " + peer + "'s TLS certificate is not trusted: no path to a trusted CA";
        }
        return "TLS failed: " + m;
    }
}
