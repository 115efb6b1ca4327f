package dev.flotilla.cli.docs;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/first-fleet.md stays in step with the CLI and the agent: every {@code ./flotilla} command in its shell
 * blocks parses (each of its options exists, the required ones are given) and the agent configuration it
 * writes is valid, without a server: a quick check at {@code test}. {@link FirstFleetGuideIT} runs the whole
 * guide against the packaged jar after {@code package}.
 */
class FirstFleetGuideTest {
    private static final Path GUIDE = Path.of("..", "docs", "first-fleet.md");

    @TempDir
    Path tmp;

    private static List<String> shellBlocks() throws Exception {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(GUIDE));
        while (m.find()) {
            blocks.add(m.group(1).replace("\\\n", " "));
        }
        return blocks;
    }

    /** The words of one {@code ./flotilla} command: up to the first shell operator, quotes removed. */
    static List<String> words(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (char c : command.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                w = w == null ? new StringBuilder() : w;
            } else if ("|;&<>)#\n".indexOf(c) >= 0) {
                break;
            } else if (Character.isWhitespace(c)) {
                if (w != null) {
                    words.add(w.toString());
                    w = null;
                }
            } else {
                w = w == null ? new StringBuilder().append(c) : w.append(c);
            }
        }
        if (w != null) {
            words.add(w.toString());
        }
        return words;
    }

    @Test
    void everyFlotillaCommandInTheGuideParses() throws Exception {
        List<List<String>> commands = new ArrayList<>();
        for (String block : shellBlocks()) {
            int at = block.indexOf("./flotilla ");
            while (at >= 0) {
                commands.add(words(block.substring(at + "./flotilla ".length())));
                at = block.indexOf("./flotilla ", at + 1);
            }
        }
        assertThat(commands).extracting(c -> c.get(0)).contains("server", "login", "keys", "trust", "release",
                "enrollment-tokens", "agent", "devices", "rollout", "logout");
        for (List<String> args : commands) {
            // throws on a missing option; an unknown one could pass as a value of a multi-value option, hence:
            CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
            while (parsed.hasSubcommand()) {
                parsed = parsed.subcommand();
            }
            for (String arg : args) {
                if (arg.startsWith("--")) {
                    assertThat(parsed.hasMatchedOption(arg.split("=")[0])).as(arg + " in " + args).isTrue();
                }
            }
        }
    }

    @Test
    void theAgentConfigurationTheGuideWritesIsValid() throws Exception {
        Matcher m = Pattern.compile("cat > first-fleet/device/agent.conf <<'EOF'\\n(.*?)\\nEOF", Pattern.DOTALL)
                .matcher(Files.readString(GUIDE));
        assertThat(m.find()).isTrue();
        Path conf = Files.writeString(tmp.resolve("agent.conf"), m.group(1));
        AgentConfig config = AgentConfigParser.parse(conf, Map.of());
        assertThat(config.hardwareId()).isEqualTo("devboard");
        assertThat(config.slots().a()).isEqualTo(tmp.resolve("slot-a.img"));
        assertThat(config.boot().fwEnvConfig()).isEqualTo(tmp.resolve("fw_env.config"));
    }
}
