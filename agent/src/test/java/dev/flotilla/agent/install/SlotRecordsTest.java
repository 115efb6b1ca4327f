package dev.flotilla.agent.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.update.Assignment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The slot records: their round trip, the records older agents wrote with Jackson, and a file that is not one. */
class SlotRecordsTest {
    @TempDir
    Path dir;

    private final Assignment a = new Assignment("dep-1", "fw/a.img", "2.0.0", 10, "0".repeat(64), 1);

    @Test
    void aRecordReadsAsWrittenAndAsTheOldAgentWroteIt() throws Exception {
        SlotRecords records = new SlotRecords(dir, new FileDurable());
        SlotRecords.Image image = new SlotRecords.Image("fw/a.img", "2.0.0", "0".repeat(64), 10);
        records.record("b", a);
        assertThat(records.of("b")).contains(image);
        assertThat(records.of("a")).isEmpty();
        Files.write(dir.resolve("a.json"), new ObjectMapper().writeValueAsBytes(image)); // an older agent's record
        assertThat(records.of("a")).contains(image);
        assertThat(new ObjectMapper().readValue(Files.readAllBytes(dir.resolve("b.json")), SlotRecords.Image.class))
                .as("an older agent reads this one's").isEqualTo(image);
    }

    @Test
    void aFileThatIsNotARecordIsAnIOExceptionNamingIt() throws Exception {
        Files.writeString(dir.resolve("b.json"), "{\"target\": \"fw/a.img\", \"length\": \"ten\"}");
        assertThatThrownBy(() -> new SlotRecords(dir, new FileDurable()).of("b")).isInstanceOf(IOException.class)
                .hasMessage(dir.resolve("b.json") + ": not a slot record this agent can read: length: not an integer");
    }
}
