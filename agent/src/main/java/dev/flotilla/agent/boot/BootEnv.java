package dev.flotilla.agent.boot;

import java.io.IOException;
import java.util.Map;

/** A bootloader environment: named string variables, changed atomically. */
public interface BootEnv {

    /** All variables. */
    Map<String, String> read() throws IOException;

    /**
     * Sets all {@code changes} in one atomic, durable update, then reads them back.
     *
     * @throws BootEnvException when the update failed or the values read back differ
     */
    void set(Map<String, String> changes) throws IOException;

    /** Reads {@code name=value} lines (what fw_printenv, grub-editenv list and the simulated file hold). */
    static Map<String, String> parseLines(String text) {
        Map<String, String> env = new java.util.TreeMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    /** Fails loudly when {@code changes} are not what the environment holds now. */
    default void verify(Map<String, String> changes) throws IOException {
        Map<String, String> now = read();
        for (Map.Entry<String, String> c : changes.entrySet()) {
            String actual = now.getOrDefault(c.getKey(), "");
            if (!actual.equals(c.getValue())) {
                throw new BootEnvException("boot environment change did not stick: " + c.getKey()
                        + " expected '" + c.getValue() + "' but reads '" + actual + "'");
            }
        }
    }
}
