package dev.flotilla.core.tuf.client;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.DelegatedRole;
import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.RepositoryError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Conformance-style delegation graphs: the pre-order search, ordering, terminating roles, patterns, bins. */
class DelegationSearchTest {
    @TempDir
    Path dir;
    RepositorySimulator sim;
    TestClient client;
    final TestSigner key = TestSigner.ed25519();

    @BeforeEach
    void setUp() {
        sim = RepositorySimulator.started();
        client = new TestClient(sim, dir);
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void diamondGraphVisitsSharedRoleOnce() {
        sim.delegate("targets", "A", List.of("*"), false, key);
        sim.delegate("A", "B", List.of("*"), false, key);
        sim.delegate("A", "C", List.of("*"), false, key);
        sim.delegate("B", "D", List.of("*"), false, key);
        sim.delegate("C", "D", List.of("*"), false, key);
        sim.addTarget("C", "y", utf8("from C"));
        sim.publish("targets", "A", "B", "C", "D");
        Updater u = client.refresh();

        TargetInfo info = u.getTargetInfo("y").orElseThrow();

        assertThat(info.role()).isEqualTo("C");
        for (String r : List.of("A", "B", "C", "D")) {
            assertThat(sim.fetchCount("metadata/1." + r + ".json")).as(r).isEqualTo(1);
        }
        assertThat(u.getTargetInfo("nowhere")).isEmpty();
    }

    /**
     * A diamond with two delegators of different trust: {@code A} delegates {@code shared} to {@code keyA},
     * {@code B} delegates it to {@code keyB}; {@code shared} is signed by {@code keyA} only.
     */
    private void diamondOfTwoDelegators(TestSigner keyA, TestSigner keyB, TestSigner... sharedSigners) {
        sim.delegate("targets", "A", List.of("a/*"), false, key);
        sim.delegate("targets", "B", List.of("b/*"), false, key);
        sim.delegate("A", "shared", List.of("*/*"), false, keyA);
        sim.delegate("B", "shared", List.of("*/*"), false, keyB);
        sim.setSigners("shared", sharedSigners);
        sim.addTarget("shared", "a/x", utf8("for A"));
        sim.addTarget("shared", "b/y", utf8("only for B's signers"));
        sim.publish("targets", "A", "B", "shared");
    }

    @Test
    void aRoleLoadedThroughOneDelegatorIsNotTrustedThroughAnotherWhoseKeysDidNotSignIt() {
        TestSigner keyA = TestSigner.ed25519();
        TestSigner keyB = TestSigner.ed25519();
        diamondOfTwoDelegators(keyA, keyB, keyA);
        Updater u = client.refresh();
        assertThat(u.getTargetInfo("a/x").orElseThrow().role()).isEqualTo("shared");

        RepositoryError e = catchThrowableOfType(RepositoryError.class, () -> u.getTargetInfo("b/y"));

        assertThat(e.reason()).isEqualTo(RepositoryError.Reason.UNSIGNED);
        assertThat(e).hasMessageContaining("shared has 0 valid signature(s) of the 1 required");
        // and the next refresh, which finds the role in the local store, refuses it through B as well
        Updater again = client.refresh();
        assertThat(catchThrowableOfType(RepositoryError.class, () -> again.getTargetInfo("b/y")).reason())
                .isEqualTo(RepositoryError.Reason.UNSIGNED);
        assertThat(again.getTargetInfo("a/x")).isPresent();
    }

    @Test
    void aRoleLoadedThroughOneDelegatorIsTrustedThroughAnotherWhoseKeysAlsoSignedIt() {
        TestSigner keyA = TestSigner.ed25519();
        TestSigner keyB = TestSigner.ed25519();
        diamondOfTwoDelegators(keyA, keyB, keyA, keyB);
        Updater u = client.refresh();
        assertThat(u.getTargetInfo("a/x").orElseThrow().role()).isEqualTo("shared");

        TargetInfo y = u.getTargetInfo("b/y").orElseThrow();

        assertThat(y.role()).isEqualTo("shared");
        assertThat(sim.fetchCount("metadata/1.shared.json")).as("verified again, not fetched again").isEqualTo(1);
    }

    @Test
    void cyclicGraphTerminatesWithoutFindingTheTarget() {
        sim.delegate("targets", "A", List.of("*"), false, key);
        sim.delegate("A", "B", List.of("*"), false, key);
        sim.delegate("B", "A", List.of("*"), false, key);
        sim.publish("targets", "A", "B");
        Updater u = client.refresh();

        assertThat(u.getTargetInfo("missing")).isEmpty();
        assertThat(sim.fetchCount("metadata/1.A.json")).isEqualTo(1);
        assertThat(sim.fetchCount("metadata/1.B.json")).isEqualTo(1);
    }

    @Test
    void firstMatchingDelegationWins() {
        sim.delegate("targets", "first", List.of("fw/*"), false, key);
        sim.delegate("targets", "second", List.of("fw/*"), false, key);
        sim.addTarget("first", "fw/a.bin", utf8("first"));
        sim.addTarget("second", "fw/a.bin", utf8("second!"));
        sim.publish("targets", "first", "second");

        TargetInfo info = client.refresh().getTargetInfo("fw/a.bin").orElseThrow();

        assertThat(info.role()).isEqualTo("first");
        assertThat(info.file().length()).isEqualTo(5);
        assertThat(sim.fetchCount("metadata/1.second.json")).isZero();
    }

    @Test
    void terminatingRoleStillSearchesItsOwnDelegations() {
        sim.delegate("targets", "term", List.of("fw/*"), true, key);
        sim.delegate("targets", "later", List.of("fw/*"), false, key);
        sim.delegate("term", "child", List.of("fw/*"), false, key);
        sim.addTarget("child", "fw/a.bin", utf8("child"));
        sim.addTarget("later", "fw/b.bin", utf8("later"));
        sim.publish("targets", "term", "later", "child");
        Updater u = client.refresh();

        assertThat(u.getTargetInfo("fw/a.bin")).get().extracting(TargetInfo::role).isEqualTo("child");
        assertThat(u.getTargetInfo("fw/b.bin")).as("terminating 'term' hides 'later'").isEmpty();
        assertThat(sim.fetchCount("metadata/1.later.json")).isZero();
    }

    @Test
    void pathPatternsMatchStarAndQuestionMarkWithinOneSegment() {
        sim.delegate("targets", "versions", List.of("fw/v?.bin"), false, key);
        sim.delegate("targets", "star", List.of("apps/*.img"), false, key);
        sim.addTarget("versions", "fw/v1.bin", utf8("1"));
        sim.addTarget("versions", "fw/v10.bin", utf8("10"));
        sim.addTarget("star", "apps/x.img", utf8("x"));
        sim.addTarget("star", "apps/sub/y.img", utf8("y"));
        sim.publish("targets", "versions", "star");
        Updater u = client.refresh();

        assertThat(u.getTargetInfo("fw/v1.bin")).isPresent();
        assertThat(u.getTargetInfo("fw/v10.bin")).as("? is one character").isEmpty();
        assertThat(u.getTargetInfo("apps/x.img")).isPresent();
        assertThat(u.getTargetInfo("apps/sub/y.img")).as("* does not cross /").isEmpty();
    }

    @Test
    void hashPrefixDelegationIsSearchedOnlyForMatchingPaths() {
        String path = "fw/device.bin";
        String hash = Digests.sha256Hex(utf8(path));
        String other = hash.charAt(0) == '0' ? "1" : "0";
        sim.delegateHashPrefixes("targets", "match", List.of(hash.substring(0, 3)), key);
        sim.delegateHashPrefixes("targets", "nomatch", List.of(other), key);
        sim.addTarget("match", path, utf8("fw"));
        sim.publish("targets", "match", "nomatch");
        Updater u = client.refresh();

        assertThat(u.getTargetInfo(path)).get().extracting(TargetInfo::role).isEqualTo("match");
        assertThat(sim.fetchCount("metadata/1.nomatch.json")).isZero();
    }

    @Test
    void succinctHashBinsRouteTargetToItsBin() {
        List<String> bins = sim.delegateSuccinct("targets", 4, "bin", key);
        assertThat(bins).hasSize(16).contains("bin-0", "bin-f");
        String path = "firmware/image-42.bin";
        String expected = "bin-" + Digests.sha256Hex(utf8(path)).charAt(0);
        sim.addTarget(expected, path, utf8("image"));
        List<String> all = new ArrayList<>(List.of("targets"));
        all.addAll(bins);
        sim.publish(all.toArray(String[]::new));
        Updater u = client.refresh();

        TargetInfo info = u.getTargetInfo(path).orElseThrow();

        assertThat(info.role()).isEqualTo(expected);
        int fetched = 0;
        for (String b : bins) {
            fetched += sim.fetchCount("metadata/1." + b + ".json");
        }
        assertThat(fetched).isEqualTo(1);
    }

    @Test
    void searchStopsAfterMaxDelegations() {
        String parent = "targets";
        List<String> chain = new ArrayList<>(List.of("targets"));
        for (int i = 0; i < 40; i++) {
            String name = "r" + i;
            sim.delegate(parent, name, List.of("*"), false, key);
            chain.add(name);
            parent = name;
        }
        sim.addTarget("r39", "deep", utf8("deep"));
        sim.publish(chain.toArray(String[]::new));
        Updater u = client.refresh();

        assertThat(u.getTargetInfo("deep")).isEmpty();
        assertThat(sim.fetchCount("metadata/1.r31.json")).isZero();
        assertThat(sim.fetchCount("metadata/1.r30.json")).isEqualTo(1);
    }

    @Test
    void unusualRoleNamesAreEncodedInUrlsAndFileNames() throws Exception {
        Map<String, String> names = Map.of(
                "my role", "my%20role",
                "team/a", "team%2Fa",
                "100%", "100%25",
                "ünïcødé", "%C3%BCn%C3%AFc%C3%B8d%C3%A9");
        List<String> roles = new ArrayList<>(List.of("targets"));
        int i = 0;
        for (String name : names.keySet()) {
            sim.delegate("targets", name, List.of("p" + i + "/*"), false, key);
            sim.addTarget(name, "p" + i + "/file", utf8(name));
            roles.add(name);
            i++;
        }
        sim.publish(roles.toArray(String[]::new));
        Updater u = client.refresh();

        i = 0;
        for (Map.Entry<String, String> e : names.entrySet()) {
            TargetInfo info = u.getTargetInfo("p" + i + "/file").orElseThrow();
            assertThat(info.role()).isEqualTo(e.getKey());
            assertThat(sim.rawRequestPaths()).contains("/metadata/1." + e.getValue() + ".json");
            assertThat(Files.isRegularFile(client.metadataDir.resolve(e.getValue() + ".json"))).isTrue();
            Path file = u.downloadTarget(info, u.defaultTargetPath(info));
            assertThat(Files.readString(file)).isEqualTo(e.getKey());
            i++;
        }
        // a restarted client finds the delegated roles in its local files
        sim.resetCounts();
        Updater again = client.refresh();
        assertThat(again.getTargetInfo("p0/file")).isPresent();
        assertThat(sim.rawRequestPaths()).containsExactly("/metadata/2.root.json", "/metadata/timestamp.json");
    }

    @Test
    void delegationsWithSeveralKeysNeedTheirThreshold() {
        TestSigner k1 = TestSigner.ed25519();
        TestSigner k2 = TestSigner.ecdsa();
        sim.delegate("targets", "pair", List.of("*"), null, false, 2, k1, k2);
        sim.addTarget("pair", "a", utf8("a"));
        sim.setSigners("pair", k1);
        sim.publish("targets", "pair");
        Updater u = client.refresh();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> u.getTargetInfo("a"))
                .isInstanceOfSatisfying(dev.flotilla.core.tuf.RepositoryError.class,
                        e -> assertThat(e.reason()).isEqualTo(dev.flotilla.core.tuf.RepositoryError.Reason.UNSIGNED));

        sim.setSigners("pair", k1, k2);
        sim.publish("pair");
        assertThat(client.refresh().getTargetInfo("a")).get().extracting(TargetInfo::role).isEqualTo("pair");
        Delegations d = sim.targets("targets", 9).delegations();
        assertThat(d.roles()).extracting(DelegatedRole::threshold).containsExactly(2);
    }
}
