package dev.flotilla.agent.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.boot.SimulatedBootloader.Outcome;
import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.testimage.TestImage.Behaviour;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot-counter contract, run against each backend by a subclass. */
abstract class BootControlContractTest {
    @TempDir
    Path dir;
    CrashableDurable durable;
    EnvBootControl control;
    SimulatedBootloader bootloader;
    int reboots;

    /** A fresh environment in {@code dir} holding {@code boot_slot=a} and nothing pending. */
    abstract BootEnv newEnv(Path dir, CrashableDurable durable) throws IOException;

    @BeforeEach
    void setUp() throws IOException {
        durable = new CrashableDurable();
        BootEnv env = newEnv(dir, durable);
        Path cmdline = dir.resolve("cmdline");
        control = new EnvBootControl(env, cmdline, () -> reboots++);
        TestImage.write(dir.resolve("slot-a"), Behaviour.BOOT_OK, "1.0.0", 4096);
        bootloader = new SimulatedBootloader(env, Map.of("a", dir.resolve("slot-a"), "b", dir.resolve("slot-b")),
                cmdline);
        assertThat(bootloader.boot()).isEqualTo(new Outcome.Running("a", header("1.0.0", Behaviour.BOOT_OK)));
    }

    @Test
    void armedTrialBootsTheNewSlotAndMarkGoodCommitsIt() throws IOException {
        TestImage.write(dir.resolve("slot-b"), Behaviour.BOOT_OK, "2.0.0", 4096);
        long before = durable.operations();
        control.armTrial("b", 3);
        assertThat(durable.operations()).as("env change went through the storage seam").isGreaterThan(before);
        assertThat(control.trialState()).isEqualTo(new TrialState("b", true, 0, 3));
        assertThat(control.activeSlot()).isEqualTo("a");

        control.reboot();
        assertThat(reboots).isEqualTo(1);
        assertThat(bootloader.boot()).isEqualTo(new Outcome.Running("b", header("2.0.0", Behaviour.BOOT_OK)));
        assertThat(control.activeSlot()).isEqualTo("b");
        assertThat(control.trialState()).isEqualTo(new TrialState("b", true, 1, 3));

        control.markGood();
        assertThat(control.trialState()).isEqualTo(new TrialState("b", false, 0, 3));
        assertThat(bootloader.boot().slot()).isEqualTo("b");
        assertThat(control.trialState().bootCount()).isZero();
    }

    @Test
    void newSlotThatFailsToBootBootlimitTimesFallsBackToTheOldSlot() throws IOException {
        TestImage.write(dir.resolve("slot-b"), Behaviour.CRASH_ON_BOOT, "2.0.0", 4096);
        control.armTrial("b", 2);
        assertThat(bootloader.boot()).isEqualTo(new Outcome.Failed("b", "kernel panic"));
        assertThat(control.trialState().bootCount()).isEqualTo(1);
        assertThat(bootloader.boot()).isEqualTo(new Outcome.Failed("b", "kernel panic"));
        assertThat(control.trialState().bootCount()).isEqualTo(2);
        assertThat(bootloader.boot()).isEqualTo(new Outcome.Running("a", header("1.0.0", Behaviour.BOOT_OK)));
        assertThat(control.activeSlot()).isEqualTo("a");
        assertThat(control.trialState()).isEqualTo(new TrialState("a", false, 0, 2));
    }

    @Test
    void hangingNewSlotFallsBackThroughBootUntilRunning() throws IOException {
        TestImage.write(dir.resolve("slot-b"), Behaviour.HANG, "2.0.0", 4096);
        control.armTrial("b", 1);
        assertThat(bootloader.bootUntilRunning(5).slot()).isEqualTo("a");
        assertThat(control.trialState().upgradeAvailable()).isFalse();
    }

    @Test
    void markBadOnTheTrialSlotMakesTheNextBootUseTheOldSlot() throws IOException {
        TestImage.write(dir.resolve("slot-b"), Behaviour.FAIL_HEALTH_CHECK, "2.0.0", 4096);
        control.armTrial("b", 3);
        assertThat(bootloader.boot()).isEqualTo(
                new Outcome.Running("b", header("2.0.0", Behaviour.FAIL_HEALTH_CHECK)));
        control.markBad("b");
        assertThat(control.trialState()).isEqualTo(new TrialState("a", false, 0, 3));
        assertThat(bootloader.boot().slot()).isEqualTo("a");
        assertThat(control.activeSlot()).isEqualTo("a");
    }

    @Test
    void markBadOnASlotThatIsNotTheBootTargetChangesNothing() throws IOException {
        TrialState before = control.trialState();
        control.markBad("b");
        assertThat(control.trialState()).isEqualTo(before);
    }

    private static TestImage.Header header(String version, Behaviour b) {
        return new TestImage.Header(b, version, 4096);
    }
}
