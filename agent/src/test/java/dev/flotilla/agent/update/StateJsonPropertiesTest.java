package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.flotilla.core.director.MaintenanceWindow;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The state file and the queued events are the files agents before this one wrote by binding the records with
 * Jackson ({@link #OLD_AGENT}: the mapper and type annotations those agents used). A device updated in the field
 * must read the files its old agent left, and an agent rolled back to the old one must read the new agent's.
 */
class StateJsonPropertiesTest {
    /** How older agents wrote and read these files: the records bound by Jackson, the state's kind in "state". */
    static final ObjectMapper OLD_AGENT = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addMixIn(UpdateState.class, OldUpdateState.class).build();

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "state")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = UpdateState.Idle.class, name = "IDLE"),
        @JsonSubTypes.Type(value = UpdateState.Downloading.class, name = "DOWNLOADING"),
        @JsonSubTypes.Type(value = UpdateState.Verifying.class, name = "VERIFYING"),
        @JsonSubTypes.Type(value = UpdateState.Installing.class, name = "INSTALLING"),
        @JsonSubTypes.Type(value = UpdateState.Installed.class, name = "INSTALLED"),
        @JsonSubTypes.Type(value = UpdateState.Rebooting.class, name = "REBOOTING"),
        @JsonSubTypes.Type(value = UpdateState.Trial.class, name = "TRIAL"),
        @JsonSubTypes.Type(value = UpdateState.HealthChecking.class, name = "HEALTH_CHECK"),
        @JsonSubTypes.Type(value = UpdateState.Committed.class, name = "COMMITTED"),
        @JsonSubTypes.Type(value = UpdateState.Failed.class, name = "FAILED"),
        @JsonSubTypes.Type(value = UpdateState.RollingBack.class, name = "ROLLING_BACK"),
        @JsonSubTypes.Type(value = UpdateState.RolledBack.class, name = "ROLLED_BACK"),
        @JsonSubTypes.Type(value = UpdateState.Withdrawn.class, name = "WITHDRAWN")})
    interface OldUpdateState {
        @JsonIgnore
        String label();
    }

    private static final Path FILE = Path.of("state.json");

    @Property(tries = 400)
    void theOldAgentsStateFileReadsAsItWasWritten(@ForAll("persisted") StateStore.Persisted p) throws Exception {
        assertThat(StateJson.readPersisted(FILE, OLD_AGENT.writeValueAsBytes(p))).isEqualTo(p);
    }

    @Property(tries = 400)
    void theOldAgentReadsTheNewStateFile(@ForAll("persisted") StateStore.Persisted p) throws Exception {
        assertThat(OLD_AGENT.readValue(StateJson.write(p), StateStore.Persisted.class)).isEqualTo(p);
        assertThat(StateJson.readPersisted(FILE, StateJson.write(p))).isEqualTo(p);
    }

    @Property(tries = 300)
    void queuedEventsReadAcrossTheTwoAgents(@ForAll("events") Event e) throws Exception {
        assertThat(StateJson.readEvent(FILE, OLD_AGENT.writeValueAsBytes(e))).isEqualTo(e);
        assertThat(OLD_AGENT.readValue(StateJson.write(e), Event.class)).isEqualTo(e);
    }

    @Provide
    Arbitrary<StateStore.Persisted> persisted() {
        Arbitrary<StateStore.Finished> finished = Combinators.combine(Arbitraries.longs().greaterOrEqual(0), text(),
                reasons()).as(StateStore.Finished::new).injectNull(0.3);
        Arbitrary<StateStore.HealthWatch> watch = Combinators.combine(text(), text(), Arbitraries.longs(),
                Arbitraries.of(true, false)).as(StateStore.HealthWatch::new).injectNull(0.5);
        return Combinators.combine(Arbitraries.longs().greaterOrEqual(0), Arbitraries.integers().between(0, 9),
                states(), finished, watch).as(StateStore.Persisted::new);
    }

    @Provide
    Arbitrary<Event> events() {
        Arbitrary<List<HealthReport.Check>> checks = Combinators.combine(text(), Arbitraries.of(true, false),
                text(), text()).as(HealthReport.Check::new).list().ofMaxSize(3).injectNull(0.5);
        Arbitrary<String> occurredAt = Arbitraries.of("2026-12-04T23:10:00Z", "2026-01-01T00:00:00.123Z")
                .injectNull(0.3);
        return Combinators.combine(text(), Arbitraries.longs().greaterOrEqual(0), text(), reasons(), text(),
                text(), text(), Arbitraries.longs().greaterOrEqual(0)).flatAs((id, seq, state, reason, detail,
                        assignment, version, done) -> Combinators.combine(Arbitraries.longs().greaterOrEqual(0),
                        occurredAt, checks).as((total, at, c) -> new Event(id, seq, state, reason, detail, assignment,
                        version, done, total, at, c)));
    }

    private Arbitrary<UpdateState> states() {
        Arbitrary<Assignment> a = assignments();
        Arbitrary<String> slot = Arbitraries.of("a", "b");
        return Arbitraries.oneOf(List.of(
                Arbitraries.just(new UpdateState.Idle()),
                Combinators.combine(a, slot, Arbitraries.longs().greaterOrEqual(0)).as(UpdateState.Downloading::new),
                Combinators.combine(a, slot).as(UpdateState.Verifying::new),
                Combinators.combine(a, slot).as(UpdateState.Installing::new),
                Combinators.combine(a, slot).as(UpdateState.Installed::new),
                Combinators.combine(a, slot).as(UpdateState.Rebooting::new),
                Combinators.combine(a, slot).as(UpdateState.Trial::new),
                Combinators.combine(a, slot).as(UpdateState.HealthChecking::new),
                Combinators.combine(a, slot).as(UpdateState.Committed::new),
                Combinators.combine(a, slot.injectNull(0.3), reasons(), text()).as(UpdateState.Failed::new),
                Combinators.combine(a, slot, reasons(), text()).as(UpdateState.RollingBack::new),
                Combinators.combine(a, reasons(), text()).as(UpdateState.RolledBack::new),
                Combinators.combine(a, slot).as(UpdateState.Withdrawn::new)));
    }

    private Arbitrary<Assignment> assignments() {
        Arbitrary<MaintenanceWindow> window = Arbitraries.of(new MaintenanceWindow("30 2 * * 1-5", 90, "Europe/Berlin"),
                new MaintenanceWindow("0 0 * * *", 1, "UTC")).injectNull(0.5);
        Arbitrary<String> sha = Arbitraries.strings().withChars("0123456789abcdef").ofLength(64);
        return Combinators.combine(text(), text(), text(), Arbitraries.longs().greaterOrEqual(1), sha,
                Arbitraries.longs().greaterOrEqual(0), Arbitraries.of(true, false),
                Arbitraries.longs().greaterOrEqual(0))
                .flatAs((id, target, version, length, sha256, security, forced, counter) -> Combinators.combine(
                        Arbitraries.of(true, false), Arbitraries.of(true, false), window,
                        Arbitraries.longs().between(0, 1_000_000)).as((withdrawn, downloadOnly, w, soak) ->
                        new Assignment(id, target, version, length, sha256, security, forced, counter, withdrawn,
                                downloadOnly, w, soak)));
    }

    private static Arbitrary<ReasonCode> reasons() {
        return Arbitraries.of(ReasonCode.class).injectNull(0.1);
    }

    /** Text as the agent holds it: any Unicode (control characters, quotes, non-ASCII), or null. */
    private static Arbitrary<String> text() {
        return Arbitraries.strings().all().ofMaxLength(12)
                .filter(s -> s.chars().noneMatch(c -> Character.isSurrogate((char) c)))
                .edgeCases(c -> c.add("\"\\\n\u0000é€")).injectNull(0.1);
    }
}
