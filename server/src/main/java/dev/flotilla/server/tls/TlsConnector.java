package dev.flotilla.server.tls;

import dev.flotilla.core.crypto.Pem;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Collection;
import java.util.List;

/**
 * Built-in HTTPS: a Jetty connector from a PEM certificate chain and a PEM PKCS#8 private key (RSA, EC or
 * Ed25519). TLS protects privacy and availability; devices never trust an update because of it.
 */
public final class TlsConnector {
    private TlsConnector() {
    }

    /**
     * Loads the files into an in-memory key store.
     *
     * @throws IllegalArgumentException when a file cannot be read or holds no usable certificate or key
     */
    public static KeyStore keyStore(Path certFile, Path keyFile, char[] password) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Collection<? extends Certificate> chain = cf.generateCertificates(
                    new ByteArrayInputStream(Files.readAllBytes(certFile)));
            if (chain.isEmpty()) {
                throw new IllegalArgumentException(certFile + ": no certificate");
            }
            byte[] pkcs8 = Pem.decode(Files.readString(keyFile, StandardCharsets.US_ASCII), "PRIVATE KEY");
            PrivateKey key = null;
            for (String alg : List.of("RSA", "EC", "Ed25519")) {
                try {
                    key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
                    break;
                } catch (GeneralSecurityException e) {
                    // try the next algorithm
                }
            }
            if (key == null) {
                throw new IllegalArgumentException(keyFile + ": not an RSA, EC or Ed25519 PKCS#8 private key");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, password, chain.toArray(Certificate[]::new));
            return ks;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("invalid TLS certificate or key: " + e.getMessage(), e);
        }
    }

    /** An HTTPS connector on {@code host:port}. */
    public static Connector create(Server server, HttpConfiguration http, String host, int port, Path cert, Path key) {
        char[] password = java.util.UUID.randomUUID().toString().toCharArray();
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(keyStore(cert, key, password));
        ssl.setKeyStorePassword(new String(password));
        ssl.setKeyManagerPassword(new String(password));
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer src = new SecureRequestCustomizer();
        src.setSniHostCheck(false);
        https.addCustomizer(src);
        ServerConnector c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                new HttpConnectionFactory(https));
        c.setHost(host);
        c.setPort(port);
        c.setIdleTimeout(dev.flotilla.server.http.Connectors.IDLE_TIMEOUT.toMillis());
        return c;
    }
}
