package dev.flotilla.agent.testimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.testimage.TestImage.Behaviour;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestImageTest {
    @TempDir
    Path dir;

    @Test
    void headerRoundTripsForEveryBehaviour() throws Exception {
        for (Behaviour b : Behaviour.values()) {
            Path f = dir.resolve(b + ".img");
            TestImage.write(f, b, "3.1.4-rc1", 10_000);
            assertThat(TestImage.read(f)).contains(new TestImage.Header(b, "3.1.4-rc1", 10_000));
            assertThat(f).hasSize(10_000);
        }
    }

    @Test
    void differentVersionsHaveDifferentBodies() {
        assertThat(TestImage.create(Behaviour.BOOT_OK, "1", 4096))
                .isNotEqualTo(TestImage.create(Behaviour.BOOT_OK, "2", 4096));
    }

    @Test
    void bytesWithoutTheMagicAreNotATestImage() {
        assertThat(TestImage.parse(new byte[64])).isEmpty();
        assertThat(TestImage.parse(new byte[10])).isEmpty();
        byte[] img = TestImage.create(Behaviour.BOOT_OK, "1", 4096);
        img[8] = 9;
        assertThat(TestImage.parse(img)).as("unknown behaviour").isEmpty();
    }

    @Test
    void theLongestVersionEndsBeforeTheLengthField() {
        String longest = "é".repeat(23); // 46 UTF-8 bytes
        byte[] header = TestImage.header(Behaviour.HANG, longest, 1L << 40);

        assertThat(TestImage.parse(header)).contains(new TestImage.Header(Behaviour.HANG, longest, 1L << 40));
    }

    @Test
    void aHeaderWhoseVersionRunsIntoTheLengthFieldIsNone() {
        byte[] header = TestImage.header(Behaviour.BOOT_OK, "1", 64);
        header[9] = 47; // the version would overlap the length at offset 56

        assertThat(TestImage.parse(header)).isEmpty();
    }

    @Test
    void refusesVersionsThatDoNotFitTheHeader() {
        assertThatThrownBy(() -> TestImage.header(Behaviour.BOOT_OK, "x".repeat(47), 100))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestImage.header(Behaviour.BOOT_OK, "", 100))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
