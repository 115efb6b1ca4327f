package dev.flotilla.core.director;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.firmware.FirmwareDecision;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.client.TargetInfo;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class AssignmentVerifierTest {
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private final KeySigner director = signer();
    private final KeySigner director2 = signer();
    private final KeySigner other = signer();
    private final byte[] image = "firmware 2.0".getBytes();
    private final TargetFile entry = TargetFile.of(image, new FirmwareInfo(List.of("board-a"), "2.0.0", 5).toCustom());
    private final Function<String, Optional<TargetInfo>> targets =
            p -> p.equals("fw-2.bin") ? Optional.of(new TargetInfo(p, entry, "targets")) : Optional.empty();
    private final AssignmentVerifier.DeviceState device =
            new AssignmentVerifier.DeviceState("dev_1", 3, new DeviceFacts("board-a", "1.0.0", 4));

    private static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }

    private Root root(int threshold, KeySigner... directors) {
        Map<String, Key> keys = new LinkedHashMap<>();
        Map<String, Role> roles = new LinkedHashMap<>();
        for (String r : List.of("root", "targets", "snapshot", "timestamp")) {
            keys.put(other.keyId(), other.publicKey());
            roles.put(r, new Role(List.of(other.keyId()), 1));
        }
        if (directors.length > 0) {
            for (KeySigner d : directors) {
                keys.put(d.keyId(), d.publicKey());
            }
            roles.put("director", new Role(java.util.Arrays.stream(directors).map(KeySigner::keyId).toList(), threshold));
        }
        return new Root(Signed.SPEC_VERSION, 1, NOW.plus(Duration.ofDays(365)), true, keys, roles, Map.of());
    }

    private Assignment assignment(String deviceId, long counter, Map<String, String> hashes, long length) {
        return new Assignment(deviceId, "dep_1", "fw-2.bin", length, hashes, counter, NOW, NOW.plus(Duration.ofDays(7)));
    }

    private Assignment good() {
        return assignment("dev_1", 4, entry.hashes(), entry.length());
    }

    private AssignmentDecision.Reason reason(AssignmentDecision d) {
        assertThat(d).isInstanceOf(AssignmentDecision.Refuse.class);
        return ((AssignmentDecision.Refuse) d).reason();
    }

    @Test
    void acceptsAGoodAssignmentAndRoundTripsItsBytes() {
        byte[] bytes = CanonicalJson.encode(good().sign(director));
        AssignmentDecision d = AssignmentVerifier.verify(bytes, root(1, director), device, NOW, targets);
        assertThat(d).isInstanceOf(AssignmentDecision.Accept.class);
        assertThat(((AssignmentDecision.Accept) d).assignment()).isEqualTo(good());
        assertThat(((AssignmentDecision.Accept) d).target().file()).isEqualTo(entry);
    }

    @Test
    void refusesEachBrokenRuleWithItsReason() {
        Root root = root(1, director);
        assertThat(reason(AssignmentVerifier.verify("{".getBytes(), root, device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.MALFORMED);
        assertThat(reason(AssignmentVerifier.verify(good().sign(director), root(1), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.NO_DIRECTOR_ROLE);
        assertThat(reason(AssignmentVerifier.verify(good().sign(other), root, device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode tampered = good().sign(director);
        ((ObjectNode) tampered.get("signed")).put("targetPath", "evil.bin");
        assertThat(reason(AssignmentVerifier.verify(tampered, root, device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        assertThat(reason(AssignmentVerifier.verify(assignment("dev_2", 4, entry.hashes(), entry.length()).sign(director),
                root, device, NOW, targets))).isEqualTo(AssignmentDecision.Reason.WRONG_DEVICE);
        assertThat(reason(AssignmentVerifier.verify(assignment("dev_1", 3, entry.hashes(), entry.length()).sign(director),
                root, device, NOW, targets))).isEqualTo(AssignmentDecision.Reason.REPLAYED);
        assertThat(reason(AssignmentVerifier.verify(good().sign(director), root, device, NOW.plus(Duration.ofDays(8)),
                targets))).isEqualTo(AssignmentDecision.Reason.EXPIRED);
        assertThat(reason(AssignmentVerifier.verify(good().sign(director), root, device, NOW, p -> Optional.empty())))
                .isEqualTo(AssignmentDecision.Reason.UNKNOWN_TARGET);
        assertThat(reason(AssignmentVerifier.verify(assignment("dev_1", 4, entry.hashes(), entry.length() + 1)
                .sign(director), root, device, NOW, targets))).isEqualTo(AssignmentDecision.Reason.TARGET_MISMATCH);
        Map<String, String> extra = new LinkedHashMap<>(entry.hashes());
        extra.put("sha512", "00".repeat(64));
        assertThat(reason(AssignmentVerifier.verify(assignment("dev_1", 4, extra, entry.length()).sign(director),
                root, device, NOW, targets))).isEqualTo(AssignmentDecision.Reason.TARGET_MISMATCH);
    }

    @Test
    void theForcedFlagIsPartOfTheSignedBytes() {
        Assignment forced = new Assignment("dev_1", "dep_1", "fw-2.bin", entry.length(), entry.hashes(), 4, NOW,
                NOW.plus(Duration.ofDays(7)), true);
        ObjectNode env = forced.sign(director);
        assertThat(env.get("signed").get("forced").booleanValue()).isTrue();
        assertThat(new String(CanonicalJson.encode(env.get("signed")))).contains("\"forced\":true");
        AssignmentDecision d = AssignmentVerifier.verify(env, root(1, director), device, NOW, targets);
        assertThat(((AssignmentDecision.Accept) d).assignment().forced()).isTrue();

        ObjectNode unforced = env.deepCopy();
        ((ObjectNode) unforced.get("signed")).put("forced", false);
        assertThat(reason(AssignmentVerifier.verify(unforced, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode promoted = good().sign(director);
        ((ObjectNode) promoted.get("signed")).put("forced", true);
        assertThat(reason(AssignmentVerifier.verify(promoted, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode mistyped = good().sign(director);
        ((ObjectNode) mistyped.get("signed")).put("forced", "yes");
        assertThat(reason(AssignmentVerifier.verify(mistyped, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.MALFORMED);
    }

    @Test
    void anAssignmentSignedWithoutTheForcedFieldStillVerifiesAsNotForced() {
        ObjectNode signed = good().toJson();
        signed.remove("forced");
        ObjectNode env = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        env.set("signed", signed);
        ObjectNode sig = env.putArray("signatures").addObject();
        sig.put("keyid", director.keyId());
        sig.put("sig", dev.flotilla.core.crypto.Hex.encode(director.sign(CanonicalJson.encode(signed))));
        AssignmentDecision d = AssignmentVerifier.verify(env, root(1, director), device, NOW, targets);
        assertThat(d).isInstanceOf(AssignmentDecision.Accept.class);
        assertThat(((AssignmentDecision.Accept) d).assignment().forced()).isFalse();
        assertThat(((AssignmentDecision.Accept) d).assignment()).isEqualTo(good());
    }

    @Test
    void withdrawnDownloadOnlyAndTheInstallWindowArePartOfTheSignedBytes() {
        MaintenanceWindow window = new MaintenanceWindow("0 2 * * *", 120, "Europe/Berlin");
        Assignment a = good().withWithdrawn(true).withDownloadOnly(true).withInstallWindow(window);
        ObjectNode env = a.sign(director);
        assertThat(new String(CanonicalJson.encode(env.get("signed")))).contains("\"withdrawn\":true",
                "\"downloadOnly\":true", "\"installWindow\":{\"cron\":\"0 2 * * *\",\"durationMinutes\":120,"
                        + "\"zone\":\"Europe/Berlin\"}");
        AssignmentDecision d = AssignmentVerifier.verify(env, root(1, director), device, NOW, targets);
        Assignment read = ((AssignmentDecision.Accept) d).assignment();
        assertThat(read).isEqualTo(a);
        assertThat(read.installWindow()).contains(window);
        assertThat(good().withInstallWindow(window).withInstallWindow(null).installWindow()).isEmpty();

        for (String field : List.of("withdrawn", "downloadOnly")) {
            ObjectNode flipped = env.deepCopy();
            ((ObjectNode) flipped.get("signed")).put(field, false);
            assertThat(reason(AssignmentVerifier.verify(flipped, root(1, director), device, NOW, targets)))
                    .as(field).isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        }
        ObjectNode widened = env.deepCopy();
        ((ObjectNode) widened.get("signed").get("installWindow")).put("durationMinutes", 1440);
        assertThat(reason(AssignmentVerifier.verify(widened, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode dropped = env.deepCopy();
        ((ObjectNode) dropped.get("signed")).remove("installWindow");
        assertThat(reason(AssignmentVerifier.verify(dropped, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
    }

    @Test
    void theSoakTimeIsPartOfTheSignedBytesAndWrittenOnlyWhenThereIsOne() {
        Assignment a = good().withSoakSeconds(7200);
        ObjectNode env = a.sign(director);
        assertThat(new String(CanonicalJson.encode(env.get("signed")))).contains("\"soakSeconds\":7200");
        Assignment read = ((AssignmentDecision.Accept) AssignmentVerifier.verify(env, root(1, director), device, NOW,
                targets)).assignment();
        assertThat(read).isEqualTo(a);
        assertThat(read.soakSeconds()).isEqualTo(7200);
        assertThat(good().toJson().has("soakSeconds")).as("no soak: the bytes of an assignment without one").isFalse();

        ObjectNode shortened = env.deepCopy();
        ((ObjectNode) shortened.get("signed")).put("soakSeconds", 60);
        assertThat(reason(AssignmentVerifier.verify(shortened, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode dropped = env.deepCopy();
        ((ObjectNode) dropped.get("signed")).remove("soakSeconds");
        assertThat(reason(AssignmentVerifier.verify(dropped, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode added = good().sign(director);
        ((ObjectNode) added.get("signed")).put("soakSeconds", 7200);
        assertThat(reason(AssignmentVerifier.verify(added, root(1, director), device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);

        assertThatMalformed(good().toJson().put("soakSeconds", -1), "'soakSeconds' must not be negative");
        assertThatMalformed(good().toJson().put("soakSeconds", "1h"), "'soakSeconds' must be an integer");
    }

    @Test
    void anAssignmentSignedBeforeTheRolloutFieldsStillVerifiesAsNotWithdrawnWithoutAWindow() {
        ObjectNode signed = good().toJson();
        signed.remove("withdrawn");
        signed.remove("downloadOnly");
        ObjectNode env = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        env.set("signed", signed);
        ObjectNode sig = env.putArray("signatures").addObject();
        sig.put("keyid", director.keyId());
        sig.put("sig", dev.flotilla.core.crypto.Hex.encode(director.sign(CanonicalJson.encode(signed))));
        Assignment read = ((AssignmentDecision.Accept) AssignmentVerifier.verify(env, root(1, director), device, NOW,
                targets)).assignment();
        assertThat(read.withdrawn()).isFalse();
        assertThat(read.downloadOnly()).isFalse();
        assertThat(read.installWindow()).isEmpty();
        assertThat(read.soakSeconds()).isZero();
        assertThat(read).isEqualTo(good());
    }

    @Test
    void malformedRolloutFieldsAreRefusedWithAMessageNamingTheField() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"cron\":\"0 25 * * *\",\"durationMinutes\":60,\"zone\":\"UTC\"}",
                "installWindow: cron field 2 (hour) '25': 25 is outside 0-23");
        cases.put("{\"cron\":\"0 2 * * *\",\"durationMinutes\":60,\"zone\":\"Mars/Olympus\"}",
                "installWindow.zone: unknown time zone 'Mars/Olympus' (an IANA time zone such as Europe/Berlin, or UTC)");
        cases.put("{\"cron\":\"0 2 * * *\",\"durationMinutes\":-5,\"zone\":\"UTC\"}",
                "installWindow.durationMinutes: must be 1 to 44640 (31 days), not -5");
        cases.put("{\"cron\":\"0 2 * * *\",\"zone\":\"UTC\"}", "installWindow.durationMinutes: must be an integer");
        cases.put("\"0 2 * * *\"", "installWindow: must be an object {\"cron\", \"durationMinutes\", \"zone\"}");
        cases.forEach((window, message) -> {
            ObjectNode signed = good().toJson();
            signed.set("installWindow", CanonicalJson.parse(window.getBytes()));
            assertThatMalformed(signed, message);
        });
        ObjectNode mistyped = good().toJson().put("withdrawn", "yes");
        assertThatMalformed(mistyped, "'withdrawn' must be true or false");
        ObjectNode mistyped2 = good().toJson().put("downloadOnly", 1);
        assertThatMalformed(mistyped2, "'downloadOnly' must be true or false");
    }

    private void assertThatMalformed(ObjectNode signed, String message) {
        ObjectNode env = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        env.set("signed", signed);
        ObjectNode sig = env.putArray("signatures").addObject();
        sig.put("keyid", director.keyId());
        sig.put("sig", dev.flotilla.core.crypto.Hex.encode(director.sign(CanonicalJson.encode(signed))));
        AssignmentDecision d = AssignmentVerifier.verify(env, root(1, director), device, NOW, targets);
        assertThat(reason(d)).isEqualTo(AssignmentDecision.Reason.MALFORMED);
        assertThat(((AssignmentDecision.Refuse) d).message()).isEqualTo(message);
    }

    @Test
    void appliesTheFirmwarePolicyLast() {
        var newer = new AssignmentVerifier.DeviceState("dev_1", 3, new DeviceFacts("board-a", "1.0.0", 6));
        AssignmentDecision d = AssignmentVerifier.verify(good().sign(director), root(1, director), newer, NOW, targets);
        assertThat(reason(d)).isEqualTo(AssignmentDecision.Reason.FIRMWARE_POLICY);
        assertThat(((AssignmentDecision.Refuse) d).firmwareReason()).isEqualTo(FirmwareDecision.Reason.SECURITY_VERSION_TOO_LOW);
    }

    @Test
    void thresholdCountsDistinctDirectorKeysAndRefusesAKeyIdListedTwice() {
        Root twoOfTwo = root(2, director, director2);
        ObjectNode once = good().sign(director);
        assertThat(reason(AssignmentVerifier.verify(once, twoOfTwo, device, NOW, targets)))
                .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
        ObjectNode twice = good().sign(director);
        ((com.fasterxml.jackson.databind.node.ArrayNode) twice.get("signatures")).add(once.get("signatures").get(0));
        assertThat(reason(AssignmentVerifier.verify(twice, twoOfTwo, device, NOW, targets)))
                .as("a key id listed twice is refused").isEqualTo(AssignmentDecision.Reason.MALFORMED);
        assertThat(reason(AssignmentVerifier.verify(twice, root(1, director), device, NOW, targets)))
                .as("even when one signature meets the threshold").isEqualTo(AssignmentDecision.Reason.MALFORMED);
        ObjectNode both = good().sign(director);
        ((com.fasterxml.jackson.databind.node.ArrayNode) both.get("signatures")).add(good().sign(director2).get("signatures").get(0));
        assertThat(AssignmentVerifier.verify(both, twoOfTwo, device, NOW, targets).accepted()).isTrue();
    }
}
