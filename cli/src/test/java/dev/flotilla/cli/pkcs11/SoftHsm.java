package dev.flotilla.cli.pkcs11;

import dev.flotilla.cli.CliRun;
import dev.flotilla.core.testing.RequiredTools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debian's SoftHSM2 for a test: its own configuration and token directory under a temp dir (SOFTHSM2_CONF),
 * tokens made with {@code softhsm2-util}, key pairs generated on the token by {@code keytool -genkeypair} through
 * the JDK's SunPKCS11 provider (private key sensitive and never extractable, with a self-signed certificate of the
 * same label), and {@code flotilla} run as a real process that loads the module with this configuration. Skipped,
 * saying why, where SoftHSM2 is not installed; under CI (which installs it, see .ci/run) that fails instead.
 */
public final class SoftHsm {
    public static final Path MODULE = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    private static final Path UTIL = Path.of("/usr/bin/softhsm2-util");
    public static final Path PKCS11_TOOL = Path.of("/usr/bin/pkcs11-tool");
    public static final String PIN = "4711-release";
    /** The SunPKCS11 setting that makes generated private keys sensitive and never extractable (docs/security-model.md). */
    public static final String PRIVATE_KEY_ATTRIBUTES = """
            attributes(generate, CKO_PRIVATE_KEY, *) = {
              CKA_SENSITIVE = true
              CKA_EXTRACTABLE = false
            }
            """;

    private final Path dir;
    private final Path conf;
    public final Path pinFile;

    private SoftHsm(Path dir) throws IOException {
        this.dir = dir;
        Path tokens = Files.createDirectories(dir.resolve("tokens"));
        conf = dir.resolve("softhsm2.conf");
        Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        pinFile = dir.resolve("pin");
        Files.writeString(pinFile, PIN + "\n");
    }

    /** A fresh SoftHSM set-up in {@code dir}; skips (or under CI fails) when SoftHSM2 or OpenSC is missing. */
    public static SoftHsm create(Path dir) throws IOException {
        boolean installed = Files.isExecutable(UTIL) && Files.isReadable(MODULE) && Files.isExecutable(PKCS11_TOOL);
        RequiredTools.assumeInstalled(installed, "PKCS#11 test skipped: SoftHSM2 or OpenSC is not installed here"
                + " (apt-get install -y softhsm2 opensc)");
        return new SoftHsm(dir);
    }

    /** Initialises a token with the given label (user PIN {@link #PIN}). */
    public void initToken(String label) throws IOException, InterruptedException {
        exec(List.of(UTIL.toString(), "--init-token", "--free", "--label", label, "--so-pin", "so-" + PIN, "--pin", PIN));
    }

    /** Generates a key pair on the token: {@code EC} (P-256) or {@code RSA} (3072 bits). */
    public void generate(String token, String label, String algorithm) throws IOException, InterruptedException {
        Path cfg = dir.resolve("keytool-" + token + ".cfg");
        Files.writeString(cfg, "name=keytool\nlibrary=" + MODULE + "\nslot=" + slot(token) + "\n" + PRIVATE_KEY_ATTRIBUTES);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", "NONE", "-storetype", "PKCS11", "-providerClass",
                "sun.security.pkcs11.SunPKCS11", "-providerArg", cfg.toString(), "-providerName", "SunPKCS11-keytool",
                "-storepass", PIN, "-alias", label, "-dname", "CN=" + label, "-keyalg", algorithm));
        cmd.addAll(algorithm.equals("EC") ? List.of("-groupname", "secp256r1") : List.of("-keysize", "3072"));
        exec(cmd);
    }

    /** The slot id of a token, from {@code softhsm2-util --show-slots}. */
    public long slot(String token) throws IOException, InterruptedException {
        String out = exec(List.of(UTIL.toString(), "--show-slots"));
        Matcher m = Pattern.compile("(?m)^Slot (\\d+)\\n(?:(?!^Slot ).*\\n)*?\\s+Label:\\s+" + Pattern.quote(token) + "\\s*$")
                .matcher(out);
        assertThat(m.find()).as("token %s in %s", token, out).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** The URI of a key, with the module and PIN file in its query. */
    public String uri(String token, String object) {
        return "pkcs11:token=" + token + ";object=" + object + "?module-path=" + MODULE + "&pin-source=" + pinFile;
    }

    /** {@code pkcs11-tool --list-objects} on a token (logged in). */
    public String listObjects(String token) throws IOException, InterruptedException {
        return exec(List.of(PKCS11_TOOL.toString(), "--module", MODULE.toString(), "--token-label", token, "--login",
                "--pin", PIN, "--list-objects"));
    }

    /** Runs {@code flotilla ARGS} as a process with this SoftHSM configuration and extra environment. */
    public CliRun flotilla(Map<String, String> env, Object... args) throws IOException, InterruptedException {
        return run(true, env, args);
    }

    /**
     * Runs {@code flotilla ARGS}; {@code exports} adds the JDK option the flotilla jar's manifest sets
     * ({@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}).
     */
    public CliRun run(boolean exports, Map<String, String> env, Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (exports) {
            cmd.addAll(List.of("--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main"));
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("FLOTILLA_PKCS11_PIN");
        pb.environment().remove("FLOTILLA_PKCS11_MODULE");
        pb.environment().putAll(environment(env));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: flotilla " + cmd);
        }
        return new CliRun(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    public CliRun flotilla(Object... args) throws IOException, InterruptedException {
        return flotilla(Map.of(), args);
    }

    private Map<String, String> environment(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put("SOFTHSM2_CONF", conf.toString());
        return env;
    }

    private String exec(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(environment(Map.of()));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s: %s", cmd.get(0), text).isZero();
        return text;
    }
}
