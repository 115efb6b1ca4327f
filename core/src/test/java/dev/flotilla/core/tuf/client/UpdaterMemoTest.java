package dev.flotilla.core.tuf.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import dev.flotilla.core.tuf.SignatureMemo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@link Updater} remembers the signatures it found valid: a refresh of unchanged metadata answers them
 * from its {@link SignatureMemo}, and changed bytes under a remembered signature are still refused.
 */
class UpdaterMemoTest {
    @TempDir
    Path dir;
    RepositorySimulator sim;
    TestClient client;
    SignatureMemo memo = new SignatureMemo(64);

    @BeforeEach
    void setUp() {
        sim = RepositorySimulator.started();
        client = new TestClient(sim, dir);
        sim.publish();
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    private Updater updater() {
        return new Updater(client.config(), new HttpFetcher(Duration.ofSeconds(5), Duration.ofSeconds(10)),
                client.clock, memo);
    }

    @Test
    void aRefreshOfUnchangedMetadataVerifiesNoSignatureAgain() {
        Updater u = updater();

        u.refresh();
        assertThat(memo.hits()).as("the first refresh verifies every signature").isZero();
        assertThat(memo.size()).as("root, timestamp, snapshot and targets").isGreaterThanOrEqualTo(4);
        int remembered = memo.size();

        u.refresh();
        assertThat(memo.hits()).as("the second refresh answers them from memory").isGreaterThanOrEqualTo(4);
        assertThat(memo.size()).as("nothing new to remember").isEqualTo(remembered);
        assertThat(u.trusted().timestamp()).isPresent();
    }

    @Test
    void changedBytesUnderARememberedSignatureAreRefused() throws Exception {
        Updater u = updater();
        u.refresh();
        ObjectNode timestamp = (ObjectNode) CanonicalJson.mapper().readTree(sim.latest("timestamp"));
        ObjectNode signed = (ObjectNode) timestamp.get("signed");
        signed.put("version", signed.get("version").asLong() + 1);
        sim.override("metadata/timestamp.json", CanonicalJson.mapper().writeValueAsBytes(timestamp));
        long hitsBefore = memo.hits();

        RepositoryError e = catchThrowableOfType(RepositoryError.class, u::refresh);

        assertThat(e).as("the old signature over new bytes must not pass").isNotNull();
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.UNSIGNED);
        assertThat(memo.hits()).as("the trusted root was still answered from memory")
                .isGreaterThan(hitsBefore);
        assertThat(client.locallyTrusted()).containsEntry("timestamp", signed.get("version").asLong() - 1);
    }
}
