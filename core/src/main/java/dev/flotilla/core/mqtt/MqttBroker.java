package dev.flotilla.core.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.exceptions.ConnectionClosedException;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuth;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import dev.flotilla.core.tls.CaBundle;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where and how to reach the MQTT broker that carries wake-ups, shared by the server (which publishes) and
 * the agent (which subscribes): {@code tcp://} or {@code mqtt://} (plain, port 1883 unless given) or
 * {@code ssl://} or {@code mqtts://} (TLS, port 8883 unless given), an optional user name and password
 * (MQTT 3.1.1 simple authentication), and for TLS an optional CA bundle that the broker's certificate is
 * checked against instead of the JDK's default CAs. {@link #toString()} never shows the password.
 *
 * @param url      the broker's URL
 * @param username the account to log in with, if any
 * @param password its password, if any (only with a user name)
 * @param caBundle PEM CA certificates for a TLS broker, if not the JDK's default ones
 */
public record MqttBroker(URI url, Optional<String> username, Optional<String> password, Optional<Path> caBundle) {
    private static final Set<String> PLAIN = Set.of("tcp", "mqtt");
    private static final Set<String> TLS = Set.of("ssl", "mqtts");

    /** Checks the settings; every problem is an {@link IllegalArgumentException} of one line. */
    public MqttBroker {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(caBundle, "caBundle");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (url.getHost() == null || !(PLAIN.contains(scheme) || TLS.contains(scheme))) {
            throw new IllegalArgumentException("MQTT URL must look like tcp://host:port or ssl://host:port, got " + url);
        }
        if (password.isPresent() && username.isEmpty()) {
            throw new IllegalArgumentException("an MQTT password needs a user name");
        }
        if (caBundle.isPresent() && !TLS.contains(scheme)) {
            throw new IllegalArgumentException("an MQTT CA bundle needs a TLS broker URL (ssl://host:port), got " + url);
        }
    }

    /** A broker without authentication or CA bundle. */
    public static MqttBroker anonymous(URI url) {
        return new MqttBroker(url, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Whether the connection is TLS. */
    public boolean tls() {
        return TLS.contains(url.getScheme().toLowerCase(java.util.Locale.ROOT));
    }

    /** The port: the URL's, else 8883 for TLS and 1883 for plain MQTT. */
    public int port() {
        return url.getPort() > 0 ? url.getPort() : tls() ? 8883 : 1883;
    }

    /** The same broker logged in as {@code user} with {@code secret}. */
    public MqttBroker withLogin(String user, String secret) {
        return new MqttBroker(url, Optional.of(user), Optional.ofNullable(secret), caBundle);
    }

    /**
     * A client builder for this broker: host and port, TLS with the CA bundle, the login, and automatic
     * reconnection (first retry after 1 s, doubling up to {@code maxDelaySeconds}), also when the first
     * connection fails. All clients built here share the MQTT client library's default event loop, so many
     * clients in one process (a simulator) cost sockets, not threads.
     *
     * @throws IllegalArgumentException when the CA bundle cannot be read
     */
    public Mqtt3ClientBuilder clientBuilder(String identifier, long maxDelaySeconds) {
        Mqtt3ClientBuilder b = MqttClient.builder().useMqttVersion3().identifier(identifier)
                .serverHost(url.getHost()).serverPort(port())
                .automaticReconnect().initialDelay(1, TimeUnit.SECONDS).maxDelay(maxDelaySeconds, TimeUnit.SECONDS)
                .applyAutomaticReconnect();
        if (tls()) {
            TrustManagerFactory trust = caBundle.map(CaBundle::trustManagers).orElse(null);
            b = b.sslConfig().trustManagerFactory(trust).handshakeTimeout(10, TimeUnit.SECONDS).applySslConfig();
        }
        if (username.isPresent()) {
            var auth = Mqtt3SimpleAuth.builder().username(username.get());
            b = b.simpleAuth(password.map(p -> auth.password(p.getBytes(StandardCharsets.UTF_8)).build())
                    .orElseGet(auth::build));
        }
        return b;
    }

    /**
     * Why a connection to the broker failed, in one line without class names: a refused login ("the broker
     * refused the login of user 'dev_1': not authorized (check the user name and password)"), an untrusted certificate ("the broker's
     * TLS certificate is not trusted: no path to a trusted CA"), a refused connection, or the cause's message.
     */
    public String describe(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof Mqtt3ConnAckException c) {
            Mqtt3ConnAckReturnCode code = c.getMqttMessage().getReturnCode();
            String who = username.map(u -> " of user '" + u + "'").orElse(" without a user name");
            return switch (code) {
                case BAD_USER_NAME_OR_PASSWORD -> "the broker refused the login" + who + ": bad user name or password";
                // mosquitto answers a wrong password with this code too
                case NOT_AUTHORIZED -> "the broker refused the login" + who
                        + ": not authorized (check the user name and password)";
                default -> "the broker refused the connection: " + code.name().toLowerCase(java.util.Locale.ROOT)
                        .replace('_', ' ');
            };
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException ssl) {
                return CaBundle.describe(ssl, "broker") + (caBundle.isEmpty() && ssl.getMessage() != null
                        && ssl.getMessage().contains("PKIX") ? " (a private CA: name its PEM file as the CA bundle)" : "");
            }
            if (c instanceof ConnectException) {
                return "cannot connect: " + c.getMessage();
            }
            if (c instanceof ConnectionClosedException) {
                return "the connection to the broker was lost";
            }
        }
        if (t instanceof ConnectionFailedException && t.getCause() != null && t.getCause().getMessage() != null) {
            return t.getCause().getMessage();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public String toString() {
        return url + username.map(u -> " as " + u).orElse("") + (tls() ? caBundle.map(c -> " (CA bundle " + c + ")")
                .orElse(" (default CAs)") : "");
    }
}
