package dev.flotilla.agent.net;

import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The JDK's default TLS context ({@link SSLContext#getDefault()}), made on the first HTTPS connection instead of
 * when the HTTP client is built. The JDK's {@code HttpClient} asks for the default context and its parameters in
 * its constructor, which loads the TLS provider and parses the JDK's trust store (a few hundred classes and the
 * trust anchors kept on the heap for the life of the process); an agent whose server is plain {@code http://}
 * never needs them. Every operation is the default context's, so HTTPS is checked exactly as with it.
 */
final class LazyDefaultTls {
    /** The protocols the JDK enables by default for a client when {@code jdk.tls.client.protocols} is not set. */
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private LazyDefaultTls() {
    }

    /** A context that delegates to {@link SSLContext#getDefault()}, made on first use. */
    static SSLContext context() {
        return context(() -> {
            try {
                return SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context: " + e.getMessage(), e);
            }
        });
    }

    /** A context that delegates to the one {@code make} returns, called once, on first use. */
    static SSLContext context(Supplier<SSLContext> make) {
        return new SSLContext(new Spi(make), null, "Default") {
        };
    }

    /**
     * The parameters to build the client with, so that it does not ask the context for its defaults: the
     * protocols the default context enables for a client (those of {@code jdk.tls.client.protocols} when it is
     * set, as the JDK reads it); cipher suites and the rest are left unset, so each engine keeps the default
     * context's.
     */
    static SSLParameters parameters() {
        String property = System.getProperty("jdk.tls.client.protocols", "").replace("\"", "").strip();
        String[] protocols = property.isEmpty() ? PROTOCOLS.clone()
                : Arrays.stream(property.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                        .toArray(String[]::new);
        SSLParameters p = new SSLParameters();
        p.setProtocols(protocols);
        return p;
    }

    private static final class Spi extends SSLContextSpi {
        private final Supplier<SSLContext> make;
        private volatile SSLContext delegate;

        Spi(Supplier<SSLContext> make) {
            this.make = make;
        }

        private SSLContext delegate() {
            SSLContext d = delegate;
            if (d == null) {
                synchronized (this) {
                    d = delegate;
                    if (d == null) {
                        d = make.get();
                        delegate = d;
                    }
                }
            }
            return d;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random)
                throws KeyManagementException {
            throw new KeyManagementException("the default TLS context cannot be initialised again");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return delegate().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return delegate().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return delegate().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return delegate().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return delegate().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return delegate().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return delegate().getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return delegate().getSupportedSSLParameters();
        }
    }
}
