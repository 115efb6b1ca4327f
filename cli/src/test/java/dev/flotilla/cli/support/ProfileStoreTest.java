package dev.flotilla.cli.support;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the saved profile lives, and that it reads back what was saved. */
class ProfileStoreTest {
    @TempDir
    Path tmp;

    @Test
    void theConfigDirFollowsXdgThenHome() {
        assertThat(ProfileStore.configDir(Map.of("XDG_CONFIG_HOME", "/x/cfg", "HOME", "/h"), "/u"))
                .isEqualTo(Path.of("/x/cfg/flotilla"));
        assertThat(ProfileStore.configDir(Map.of("XDG_CONFIG_HOME", "relative", "HOME", "/h"), "/u"))
                .isEqualTo(Path.of("/h/.config/flotilla"));
        assertThat(ProfileStore.configDir(Map.of(), "/u")).isEqualTo(Path.of("/u/.config/flotilla"));
    }

    @Test
    void savesReplacesAndReadsBack() throws Exception {
        ProfileStore store = new ProfileStore(tmp.resolve("a/b"));
        assertThat(store.load()).isEmpty();
        store.save(new Profile("http://one", "t1", null));
        store.save(new Profile("https://two/", "t2", Path.of("/etc/ca.pem")));
        assertThat(store.load()).contains(new Profile("https://two/", "t2", Path.of("/etc/ca.pem")));
        assertThat(store.load().orElseThrow().isFor("https://two")).isTrue();
        assertThat(store.load().orElseThrow().isFor("https://three")).isFalse();
        try (var files = Files.list(store.file().getParent())) {
            assertThat(files).containsExactly(store.file());
        }
        assertThat(store.delete()).isTrue();
        assertThat(store.delete()).isFalse();
    }

    @Test
    void aDamagedProfileIsOneLineThatSaysWhatToDo() throws Exception {
        ProfileStore store = new ProfileStore(tmp);
        Files.writeString(store.file(), "{\"server\": \"http://x\"}");
        assertThatThrownBy(store::load).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a readable saved profile").hasMessageContaining("flotilla login");
    }
}
