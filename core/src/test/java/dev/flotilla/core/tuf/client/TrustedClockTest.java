package dev.flotilla.core.tuf.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class TrustedClockTest {
    @TempDir
    Path dir;

    private static Clock at(String t) {
        return Clock.fixed(Instant.parse(t), ZoneOffset.UTC);
    }

    @Test
    void aCorrectLocalClockIsUsedAsItIs() {
        TrustedClock c = new TrustedClock(at("2026-11-24T10:00:00Z"), dir.resolve("floor"));
        assertThat(c.instant()).isEqualTo(Instant.parse("2026-11-24T10:00:00Z"));
    }

    @Test
    void aLocalClockResetToTheEpochAfterARebootDoesNotMoveTrustedTimeBack() {
        Path floor = dir.resolve("floor");
        new TrustedClock(at("2026-11-24T10:00:00Z"), floor).instant();
        // "reboot": a new process, its RTC lost power
        TrustedClock after = new TrustedClock(at("1970-01-01T00:00:05Z"), floor);
        assertThat(after.instant()).isEqualTo(Instant.parse("2026-11-24T10:00:00Z"));
    }

    @Test
    void metadataThatExpiredBeforeTheLastLookStaysExpiredWithABackwardsClock() {
        Path floor = dir.resolve("floor");
        new TrustedClock(at("2026-11-24T10:00:00Z"), floor).instant();
        TrustedClock after = new TrustedClock(at("2026-01-01T00:00:00Z"), floor);
        Instant expires = Instant.parse("2026-06-01T00:00:00Z"); // valid by the wrong clock, expired by trusted time
        assertThat(after.instant().isBefore(expires)).isFalse();
    }

    @Test
    void aDamagedFloorFileCountsAsNoFloorAndIsRewritten() throws Exception {
        Path floor = dir.resolve("floor");
        Files.writeString(floor, "garbage");
        TrustedClock c = new TrustedClock(at("2026-11-24T10:00:00Z"), floor);
        assertThat(c.instant()).isEqualTo(Instant.parse("2026-11-24T10:00:00Z"));
        assertThat(Files.readString(floor).strip()).isEqualTo("2026-11-24T10:00:00Z");
    }
}
