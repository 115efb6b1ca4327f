package dev.flotilla.cli.docs;

import dev.flotilla.cli.Main;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README.md's list of commands names every command of {@code flotilla} (by its name; aliases such as
 * {@code releases} need not be named), as {@code ./flotilla --help} lists them.
 */
class ReadmeCommandsTest {
    private static final Path README = Path.of("..", "README.md");

    @Test
    void theReadmeNamesEveryCommand() throws Exception {
        String readme = Files.readString(README);
        List<String> commands = Main.commandLine().getSubcommands().values().stream()
                .map(c -> c.getCommandName()).filter(name -> !name.equals("help")).distinct().toList();
        assertThat(commands).contains("server", "agent", "devices", "deployments", "tokens", "enrollment-tokens",
                "audit");
        assertThat(commands).allSatisfy(name -> assertThat(readme).as("README.md names `%s`", name)
                .contains("`" + name + "`"));
    }
}
