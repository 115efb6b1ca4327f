package dev.flotilla.core.firmware;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.RepositoryError;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FirmwareInfoTest {
    private static ObjectNode json(String s) {
        return CanonicalJson.parseObject(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void roundTripsThroughCustomKeepingOtherFields() {
        FirmwareInfo info = new FirmwareInfo(List.of("board-a", "board-b"), "1.4.2", 3, "1.4.0");
        ObjectNode custom = json("{\"vendor\":\"acme\",\"minInstalledVersion\":\"0.1\"}");
        info.writeTo(custom);
        assertThat(custom.get("vendor").textValue()).isEqualTo("acme");
        assertThat(FirmwareInfo.fromCustom(custom)).isEqualTo(info);
        assertThat(CanonicalJson.encodeToString(info.toCustom())).isEqualTo(
                "{\"hardwareIds\":[\"board-a\",\"board-b\"],\"minInstalledVersion\":\"1.4.0\",\"securityVersion\":3,"
                        + "\"version\":\"1.4.2\"}");
    }

    @Test
    void writingWithoutMinimumRemovesAStaleOne() {
        ObjectNode custom = json("{\"minInstalledVersion\":\"0.1\"}");
        new FirmwareInfo(List.of("b"), "2", 0).writeTo(custom);
        assertThat(custom.has("minInstalledVersion")).isFalse();
        assertThat(FirmwareInfo.fromCustom(custom).minInstalled()).isEmpty();
    }

    @Test
    void refusesMalformedCustomAsRepositoryError() {
        for (String bad : List.of(
                "{\"version\":\"1\",\"securityVersion\":0}",
                "{\"hardwareIds\":[],\"version\":\"1\",\"securityVersion\":0}",
                "{\"hardwareIds\":[1],\"version\":\"1\",\"securityVersion\":0}",
                "{\"hardwareIds\":[\"a\"],\"version\":\"one\",\"securityVersion\":0}",
                "{\"hardwareIds\":[\"a\"],\"version\":\"1\",\"securityVersion\":-1}",
                "{\"hardwareIds\":[\"a\"],\"version\":\"1\",\"securityVersion\":\"3\"}",
                "{\"hardwareIds\":[\"a\"],\"version\":\"1\",\"securityVersion\":1,\"minInstalledVersion\":7}")) {
            assertThatThrownBy(() -> FirmwareInfo.fromCustom(json(bad))).as(bad).isInstanceOf(RepositoryError.class)
                    .hasMessageStartingWith("MALFORMED: firmware fields:");
        }
    }

    @Test
    void constructorRefusesInvalidFields() {
        assertThatThrownBy(() -> new FirmwareInfo(List.of("a", "a"), "1", 0)).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> new FirmwareInfo(List.of("a"), "1", -2)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> new FirmwareInfo(List.of(" "), "1", 0)).hasMessageContaining("blank");
    }
}
