package dev.flotilla.agent.testimage;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the test-image header reader with the first bytes of arbitrary slots: it finds a header or none and
 * throws nothing, and a header it finds is written back to the same header (or refused by
 * {@link TestImage#header} with {@link IllegalArgumentException}). Committed inputs:
 * {@code TestImageFuzzTestInputs/parse/}; docs/fuzzing.md.
 */
class TestImageFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        Optional<TestImage.Header> found = TestImage.parse(input);
        if (found.isEmpty()) {
            return;
        }
        TestImage.Header h = found.get();
        byte[] again;
        try {
            again = TestImage.header(h.behaviour(), h.version(), h.length());
        } catch (IllegalArgumentException refused) {
            return; // a version that decoded to more bytes than a header holds (invalid UTF-8 replaced)
        }
        assertThat(TestImage.parse(again)).contains(h);
    }
}
