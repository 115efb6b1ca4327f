package dev.flotilla.sim;

import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.boot.SimulatedBootloader;
import dev.flotilla.agent.boot.SimulatedEnv;
import dev.flotilla.agent.boot.TrialState;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.testimage.TestImage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A stopped board looked at from the outside: its boot environment and slots, as the bootloader would see
 * them at the next power-on. The boot is run on a copy of the environment, so the board is not changed.
 *
 * @param bootable whether the next power-on runs an image whose bytes are a signed target (after the
 *     bootloader's own fallback, if the first choice crashes)
 * @param version the version that power-on runs, or null when none runs
 * @param corrupted whether the slot the boot environment names holds an image header whose bytes are not
 *     that signed release (an install that was armed or committed with bytes that do not verify)
 */
record Inspection(boolean bootable, String version, boolean corrupted) {
    private static final int MAX_BOOTS = 5;

    static Inspection of(Path boardDir, SignedTargets signed) throws IOException {
        Path scratch = Files.createTempDirectory(boardDir, "inspect-");
        try {
            SimulatedBoard board = SimulatedBoard.at(boardDir);
            Path env = Files.copy(board.bootEnvFile(), scratch.resolve("bootenv"));
            Map<String, Path> slots = board.slots();
            SimulatedEnv copy = new SimulatedEnv(env, new FileDurable());
            String named = TrialState.of(copy.read()).bootSlot();
            boolean corrupted = corrupted(slots.get(named), signed);
            SimulatedBootloader bootloader = new SimulatedBootloader(copy, slots, scratch.resolve("cmdline"));
            SimulatedBootloader.Outcome.Running r;
            try {
                r = bootloader.bootUntilRunning(MAX_BOOTS);
            } catch (IllegalStateException bootLoop) {
                return new Inspection(false, null, corrupted);
            }
            Optional<String> match = signed.match(slots.get(r.slot()), r.image().length());
            boolean verified = match.equals(Optional.of(r.image().version()));
            return new Inspection(verified, verified ? r.image().version() : null, corrupted);
        } finally {
            try (var files = Files.list(scratch)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(scratch);
        }
    }

    private static boolean corrupted(Path slot, SignedTargets signed) throws IOException {
        Optional<TestImage.Header> h = TestImage.read(slot);
        return h.isPresent() && !signed.match(slot, h.get().length()).equals(Optional.of(h.get().version()));
    }
}
