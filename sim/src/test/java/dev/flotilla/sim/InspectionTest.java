package dev.flotilla.sim;

import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.boot.TrialState;
import dev.flotilla.agent.testimage.TestImage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The report's view of a board: what its next power-on runs, judged by the slot bytes against the signed targets. */
class InspectionTest {
    private static final int SIZE = 8192;

    @TempDir
    Path dir;
    SimulatedBoard board;
    SignedTargets signed;

    @BeforeEach
    void board() throws Exception {
        byte[] base = TestImage.create(TestImage.Behaviour.BOOT_OK, "1.0.0", SIZE);
        byte[] crash = TestImage.create(TestImage.Behaviour.CRASH_ON_BOOT, "2.0.0", SIZE);
        String targets = "{\"signed\": {\"targets\": {\"fw-1.img\": {\"hashes\": {\"sha256\": \"" + sha(base)
                + "\"}}, \"fw-2.img\": {\"hashes\": {\"sha256\": \"" + sha(crash) + "\"}}}}}";
        signed = SignedTargets.parse(targets.getBytes(StandardCharsets.UTF_8),
                Map.of("fw-1.img", "1.0.0", "fw-2.img", "2.0.0"));
        Path root = Files.writeString(dir.resolve("root.json"), "{}");
        board = SimulatedBoard.at(dir.resolve("board"));
        SimulatedDevice.provision(board.dir(), URI.create("http://127.0.0.1:1"), "t", root, "hw", "1.0.0", SIZE);
    }

    @Test
    void aFactoryBoardBootsTheSignedBaseline() throws Exception {
        assertThat(Inspection.of(board.dir(), signed)).isEqualTo(new Inspection(true, "1.0.0", false));
    }

    @Test
    void oneFlippedByteInTheOnlyImageIsABrickedBoardAndACorruptedInstall() throws Exception {
        byte[] slot = Files.readAllBytes(board.slot("a"));
        slot[SIZE - 1] ^= 1;
        Files.write(board.slot("a"), slot);
        assertThat(Inspection.of(board.dir(), signed)).isEqualTo(new Inspection(false, null, true));
    }

    @Test
    void anArmedReleaseThatCrashesFallsBackToTheBaselineAsTheBootloaderWould() throws Exception {
        TestImage.write(board.slot("b"), TestImage.Behaviour.CRASH_ON_BOOT, "2.0.0", SIZE);
        board.env().set(Map.of(TrialState.BOOT_SLOT, "b", TrialState.UPGRADE_AVAILABLE, "1", TrialState.BOOTCOUNT, "0",
                TrialState.BOOTLIMIT, "1"));
        String before = Files.readString(board.bootEnvFile());
        assertThat(Inspection.of(board.dir(), signed)).isEqualTo(new Inspection(true, "1.0.0", false));
        assertThat(Files.readString(board.bootEnvFile())).as("the board is not changed").isEqualTo(before);
    }

    @Test
    void aCommittedSlotWhoseBytesAreNotTheSignedReleaseIsNotABootableVerifiedImage() throws Exception {
        TestImage.write(board.slot("b"), TestImage.Behaviour.BOOT_OK, "2.0.0", SIZE); // not what was signed
        board.env().set(Map.of(TrialState.BOOT_SLOT, "b"));
        assertThat(Inspection.of(board.dir(), signed)).isEqualTo(new Inspection(false, null, true));
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
