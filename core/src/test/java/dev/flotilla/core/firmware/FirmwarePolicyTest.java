package dev.flotilla.core.firmware;

import dev.flotilla.core.firmware.FirmwareDecision.Reason;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FirmwarePolicyTest {
    private static final FirmwareInfo IMAGE = new FirmwareInfo(List.of("board-a", "board-b"), "2.1.0", 5, "2.0");

    private static Reason refusal(FirmwareInfo image, DeviceFacts device) {
        FirmwareDecision d = FirmwarePolicy.check(image, device);
        assertThat(d).isInstanceOf(FirmwareDecision.Refuse.class);
        return ((FirmwareDecision.Refuse) d).reason();
    }

    @Test
    void acceptsMatchingImage() {
        assertThat(FirmwarePolicy.check(IMAGE, new DeviceFacts("board-b", "2.0.3", 5))).isEqualTo(new FirmwareDecision.Accept());
        assertThat(FirmwarePolicy.check(IMAGE, new DeviceFacts("board-a", "2.0", 4)).accepted()).isTrue();
    }

    @Test
    void refusesOtherHardware() {
        assertThat(refusal(IMAGE, new DeviceFacts("board-c", "2.0.3", 0))).isEqualTo(Reason.HARDWARE_MISMATCH);
    }

    @Test
    void refusesSecurityVersionBelowCounter() {
        FirmwareDecision d = FirmwarePolicy.check(IMAGE, new DeviceFacts("board-a", "2.0.3", 6));
        assertThat(d).isEqualTo(new FirmwareDecision.Refuse(Reason.SECURITY_VERSION_TOO_LOW,
                "image securityVersion 5 is below the device's counter 6"));
    }

    @Test
    void refusesInstalledVersionBelowMinimumOrUnknown() {
        assertThat(refusal(IMAGE, new DeviceFacts("board-a", "1.9.9", 0))).isEqualTo(Reason.INSTALLED_VERSION_TOO_LOW);
        assertThat(refusal(IMAGE, new DeviceFacts("board-a", null, 0))).isEqualTo(Reason.INSTALLED_VERSION_TOO_LOW);
        assertThat(refusal(IMAGE, new DeviceFacts("board-a", "garbage", 0))).isEqualTo(Reason.INSTALLED_VERSION_TOO_LOW);
    }

    @Test
    void refusesSameVersionEvenSpelledDifferently() {
        assertThat(refusal(IMAGE, new DeviceFacts("board-a", "2.1", 0))).isEqualTo(Reason.ALREADY_INSTALLED);
    }

    @Test
    void acceptsDeliberateDowngradeWhenSecurityVersionAllows() {
        FirmwareInfo old = new FirmwareInfo(List.of("board-a"), "1.0", 2);
        assertThat(FirmwarePolicy.check(old, new DeviceFacts("board-a", "3.0", 2)).accepted()).isTrue();
        assertThat(FirmwarePolicy.check(old, new DeviceFacts("board-a", null, 0)).accepted()).isTrue();
    }

    @Test
    void hardwareIsCheckedBeforeSecurityVersion() {
        assertThat(refusal(IMAGE, new DeviceFacts("board-x", "2.1.0", 99))).isEqualTo(Reason.HARDWARE_MISMATCH);
    }
}
