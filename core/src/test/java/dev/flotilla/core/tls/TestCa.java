package dev.flotilla.core.tls;

import dev.flotilla.core.crypto.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A private CA made for a test with the JDK's keytool: a self-signed CA certificate ({@code ca.pem}) and a
 * server certificate for 127.0.0.1 signed by it ({@code server.pem}, key {@code server.key}, PEM PKCS#8),
 * as an operator would make them with their own CA.
 *
 * @param caPem the CA certificate (the bundle a client trusts)
 * @param serverCert the server's certificate chain (server, then CA)
 * @param serverKey the server's private key
 */
public record TestCa(Path caPem, Path serverCert, Path serverKey) {
    private static final String PASS = "changeit";

    /** Makes the CA and the server certificate in {@code dir}. */
    public static TestCa create(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path server = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=Flotilla Test CA", "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                ca.toString(), "-storepass", PASS);
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", server.toString(),
                "-storepass", PASS);
        Path csr = dir.resolve("server.csr");
        keytool("-certreq", "-alias", "server", "-keystore", server.toString(), "-storepass", PASS, "-file",
                csr.toString());
        Path signed = dir.resolve("server-signed.pem");
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASS, "-infile",
                csr.toString(), "-outfile", signed.toString(), "-ext", "san=ip:127.0.0.1", "-validity", "2", "-rfc");
        KeyStore caStore = load(ca);
        KeyStore serverStore = load(server);
        Path caPem = Files.writeString(dir.resolve("ca.pem"),
                Pem.encode(caStore.getCertificate("ca").getEncoded(), "CERTIFICATE"));
        Path chain = Files.writeString(dir.resolve("server.pem"), Files.readString(signed) + Files.readString(caPem));
        Path key = Files.writeString(dir.resolve("server.key"),
                Pem.encode(serverStore.getKey("server", PASS.toCharArray()).getEncoded(), "PRIVATE KEY"));
        return new TestCa(caPem, chain, key);
    }

    private static KeyStore load(Path p12) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASS.toCharArray());
        }
        return ks;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool")
                .toString()));
        cmd.add("-J-XX:TieredStopAtLevel=1"); // a short-lived tool: start fast
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }
}
