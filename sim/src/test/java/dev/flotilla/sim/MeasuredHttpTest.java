package dev.flotilla.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MeasuredHttpTest {

    @Test
    void aFailureIsCountedUnderItsKindWithTheExceptionsClassAndMessage() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             HttpClient plain = HttpClient.newHttpClient()) {
            Thread closer = Thread.ofVirtual().start(() -> closeEveryConnection(server));
            MeasuredHttp http = new MeasuredHttp(plain);
            HttpRequest request = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.getLocalPort() + "/api/v1/device/checkin"))
                    .timeout(Duration.ofSeconds(10)).GET().build();

            assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.discarding()))
                    .isInstanceOf(IOException.class);

            MeasuredHttp.Figures f = http.figures();
            assertThat(f.requests()).isEqualTo(1);
            assertThat(f.failed()).isEqualTo(1);
            assertThat(f.checkIns()).as("a check-in without an answer has no latency").isZero();
            assertThat(f.failures()).hasSize(1);
            String reason = f.failures().keySet().iterator().next();
            assertThat(reason).startsWith("checkin ").contains("Exception: ");
            assertThat(f.failures().get(reason)).isEqualTo(1);
            closer.interrupt();
        }
    }

    @Test
    void aReasonNamesTheClassAloneWithoutAMessageAndCutsALongOne() {
        assertThat(MeasuredHttp.reason(new java.io.EOFException())).isEqualTo("EOFException");
        assertThat(MeasuredHttp.reason(null)).isEqualTo("no answer");
        String cut = MeasuredHttp.reason(new IOException("x".repeat(500)));
        assertThat(cut).isEqualTo("IOException: " + "x".repeat(MeasuredHttp.MAX_MESSAGE) + "...");
    }

    private static void closeEveryConnection(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.getInputStream().read();
            } catch (IOException e) {
                return;
            }
        }
    }
}
