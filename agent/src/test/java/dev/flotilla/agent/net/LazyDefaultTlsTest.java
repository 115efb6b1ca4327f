package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/**
 * The agent's HTTP client without a {@code caBundle}: plain HTTP exchanges never make the JDK's default TLS
 * context, and once made it is that context, with the same client protocols. (HTTPS through it, against a
 * server the default trust store does not trust, is {@link PrivateCaTest}.)
 */
class LazyDefaultTlsTest {

    @Test
    void plainHttpExchangesNeverMakeTheTlsContext() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            x.sendResponseHeaders(200, 2);
            x.getResponseBody().write("ok".getBytes());
            x.close();
        });
        server.start();
        AtomicInteger made = new AtomicInteger();
        try (HttpClient http = HttpClient.newBuilder().sslContext(LazyDefaultTls.context(() -> {
            made.incrementAndGet();
            return defaultContext();
        })).sslParameters(LazyDefaultTls.parameters()).build()) {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).isEqualTo("ok");
            }
            assertThat(made).hasValue(0);

            SSLEngine engine = http.sslContext().createSSLEngine("example.org", 443);
            assertThat(made).hasValue(1);
            SSLEngine expected = defaultContext().createSSLEngine("example.org", 443);
            assertThat(engine.getEnabledProtocols()).containsExactly(expected.getEnabledProtocols());
            assertThat(engine.getEnabledCipherSuites()).containsExactly(expected.getEnabledCipherSuites());
            http.sslContext().createSSLEngine();
            assertThat(made).as("made once").hasValue(1);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theAgentsClientWithoutACaBundleTakesTheLazyContext() {
        try (HttpClient http = ServerClient.defaultHttpClient()) {
            assertThat(http.sslContext()).isNotSameAs(defaultContext());
            assertThat(http.sslContext().getClass().getEnclosingClass()).isEqualTo(LazyDefaultTls.class);
        }
    }

    @Test
    void theClientsProtocolsAreTheDefaultContextsClientProtocols() throws Exception {
        assertThat(System.getProperty("jdk.tls.client.protocols")).isNull();
        assertThat(LazyDefaultTls.parameters().getProtocols())
                .containsExactly(defaultContext().getDefaultSSLParameters().getProtocols());
        assertThat(LazyDefaultTls.context().getDefaultSSLParameters().getProtocols())
                .containsExactly(defaultContext().getDefaultSSLParameters().getProtocols());
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
