package dev.flotilla.server.releases;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the reading of a download's {@code Range} header against files of any length: the answer is the
 * whole file, a range inside the file, or unsatisfiable (only for a header that asks for something), and
 * nothing escapes. The input's last 8 bytes are the file length, the rest the header. Committed inputs:
 * {@code RangeFuzzTestInputs/plan/}; docs/fuzzing.md.
 */
class RangeFuzzTest {
    @FuzzTest
    void plan(FuzzedDataProvider data) {
        long length = data.consumeLong(0, Long.MAX_VALUE);
        String header = data.consumeRemainingAsString();

        RangeResponder.Plan plan = RangeResponder.plan(header, length);

        assertThat(plan).isNotNull();
        if (plan instanceof RangeResponder.Partial p) {
            assertThat(p.range().first()).isBetween(0L, p.range().last());
            assertThat(p.range().last()).isLessThan(length);
            assertThat(p.range().length()).isBetween(1L, length);
        }
    }
}
