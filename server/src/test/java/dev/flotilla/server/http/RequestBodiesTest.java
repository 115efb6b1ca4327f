package dev.flotilla.server.http;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RequestBodies}: a body the route does not read, arriving after the route could have answered, does not
 * cost the connection the next request on it (a raw socket, so that the body really comes late).
 */
class RequestBodiesTest {
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    @TempDir
    Path dir;

    @Test
    void aLateBodyThatItsRouteIgnoresKeepsTheConnectionForTheNextRequest() throws Exception {
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
             Socket socket = new Socket(srv.server.uri().getHost(), srv.server.uri().getPort())) {
            TestDevice d = srv.device(KeyType.ED25519, "board-a");
            String challenge = "POST /api/v1/device/" + d.id() + "/challenge HTTP/1.1\r\nHost: flotilla\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(challenge.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(500); // the route has all it needs and would answer before the body comes
            out.write("{}".getBytes(StandardCharsets.US_ASCII));
            out.write((challenge + "{}").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.shutdownOutput();

            String answers = readAll(socket.getInputStream());
            Matcher m = STATUS.matcher(answers);
            int ok = 0;
            while (m.find()) {
                assertThat(m.group(1)).as(answers).isEqualTo("200");
                ok++;
            }
            assertThat(ok).as("both requests answered on the one connection: " + answers).isEqualTo(2);
        }
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.US_ASCII);
    }
}
