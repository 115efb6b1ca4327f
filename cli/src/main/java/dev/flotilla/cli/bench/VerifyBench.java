package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Key;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.concurrent.Callable;

/**
 * Signature verification per key type through the trust core ({@code Key.verify}: decodes the TUF key,
 * verifies) against the baseline of the JDK verifying with an already decoded key.
 */
@Command(name = "verify", description = "Signature verification per key type, against the bare JDK.",
        mixinStandardHelpOptions = true)
public final class VerifyBench implements Callable<Integer> {
    @Option(names = "--millis", description = "Length of one round (default ${DEFAULT-VALUE}).", defaultValue = "500")
    long millis;

    @Option(names = "--rounds", description = "Alternating rounds per figure; medians are reported (default ${DEFAULT-VALUE}).",
            defaultValue = "7")
    int rounds;

    @Override
    public Integer call() throws Exception {
        byte[] data = sampleSigned();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("signedBytes", data.length);
        for (KeyType type : KeyType.values()) {
            KeyPair kp = BenchKeys.generate(type);
            Key key = Key.of(type, kp.getPublic());
            byte[] sig = Signatures.sign(type, kp.getPrivate(), data);
            PublicKey decoded = key.publicKey();
            double[] r2 = Timer.compare(() -> check(key.verify(sig, data)),
                    () -> check(jdkVerify(type, decoded, sig, data)), rounds, millis);
            double core = r2[0];
            double jdk = r2[1];
            ObjectNode r = out.putObject(type.name().toLowerCase(java.util.Locale.ROOT));
            r.put("coreVerifiesPerSecond", Math.round(core));
            r.put("jdkVerifiesPerSecond", Math.round(jdk));
            r.put("ratio", Math.round(core / jdk * 1000) / 1000.0);
        }
        System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
        return 0;
    }

    private static void check(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("benchmark signature did not verify");
        }
    }

    private static boolean jdkVerify(KeyType type, PublicKey key, byte[] sig, byte[] data) throws Exception {
        Signature s = switch (type) {
            case ED25519 -> Signature.getInstance("Ed25519");
            case ECDSA_P256 -> Signature.getInstance("SHA256withECDSA");
            case RSA -> {
                Signature p = Signature.getInstance("RSASSA-PSS");
                p.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                yield p;
            }
        };
        s.initVerify(key);
        s.update(data);
        return s.verify(sig);
    }

    /** A timestamp-sized signed body, the most frequently verified metadata. */
    private static byte[] sampleSigned() {
        return ("{\"_type\":\"timestamp\",\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot.json\":"
                + "{\"hashes\":{\"sha256\":\"" + "ab".repeat(32) + "\"},\"length\":1234,\"version\":42}},"
                + "\"spec_version\":\"1.0.31\",\"version\":4242}").getBytes(StandardCharsets.UTF_8);
    }
}
