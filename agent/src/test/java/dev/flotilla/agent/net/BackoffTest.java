package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesFromTheMinimumUpToTheCapAndResetsOnSuccess() {
        Backoff b = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), 0.0, () -> 0.5);
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(5));
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(10));
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(20));
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(40));
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(60));
        for (int i = 0; i < 100; i++) {
            b.failure();
        }
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(60));
        assertThat(b.success(Duration.ofSeconds(300))).isEqualTo(Duration.ofSeconds(300));
        assertThat(b.failure()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void jitterAddsUpToTheFraction() {
        Backoff b = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), 0.2, () -> 0.999);
        assertThat(b.success(Duration.ofSeconds(100))).isBetween(Duration.ofSeconds(119), Duration.ofSeconds(120));
        Backoff none = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), 0.2, () -> 0.0);
        assertThat(none.success(Duration.ofSeconds(100))).isEqualTo(Duration.ofSeconds(100));
    }
}
