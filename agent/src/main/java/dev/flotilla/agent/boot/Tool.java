package dev.flotilla.agent.boot;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a bootloader tool (fw_printenv, fw_setenv, grub-editenv) and returns its standard output. */
final class Tool {
    private Tool() {
    }

    /** Whether {@code name} is an executable on the PATH. */
    static boolean onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code command}; {@code debianPackage} names the package to install when the tool is missing.
     *
     * @throws BootEnvException when the tool is missing, exits non-zero (the message is one line: the
     *                           command, its exit code and its output) or takes more than 30 seconds
     */
    static String run(String debianPackage, List<String> command) throws IOException {
        if (!onPath(command.get(0))) {
            throw new BootEnvException(command.get(0) + " not found: install the Debian package "
                    + debianPackage);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new BootEnvException(String.join(" ", command) + " timed out");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new BootEnvException(String.join(" ", command) + " exited " + p.exitValue() + ": "
                        + text.strip().replaceAll("\\s*\\R\\s*", "; "));
            }
            return text;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BootEnvException("interrupted while running " + command.get(0));
        }
    }
}
