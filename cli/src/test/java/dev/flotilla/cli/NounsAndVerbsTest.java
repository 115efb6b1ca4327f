package dev.flotilla.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The convention docs/cli.md states under "Nouns and verbs", over the whole command tree: commands are
 * {@code flotilla NOUN VERB [ID]}; a noun answers to its singular and its plural; verbs come from one
 * vocabulary; a verb that acts on one existing object takes it as its argument, not as an option. A command
 * that breaks it fails here, with what to do.
 */
class NounsAndVerbsTest {
    /** The top-level commands that run a process rather than act on a record (docs/cli.md): outside the convention. */
    static final Set<String> STANDALONE = Set.of("help", "server", "agent", "sim", "demo", "bench", "tuf-client",
            "login", "logout", "completion");
    /** Nouns that name one thing, with no plural: the audit log, the root of trust. */
    static final Set<String> MASS_NOUNS = Set.of("audit", "trust");
    /** Verbs that act on one existing object, which the command's argument names ({@code show ID}). */
    static final Set<String> ON_ONE = Set.of("show", "delete", "cancel", "revoke", "decommission", "recommission",
            "tag", "group", "events", "devices", "download", "start", "pause", "resume", "abort", "advance", "approve",
            "retry", "set", "clear");
    /** The other verbs: on many objects, creating one, or on the one thing a mass noun names. */
    static final Set<String> OTHER_VERBS = Set.of("list", "create", "preview", "generate", "init", "rotate", "sign",
            "publish", "refresh", "status", "summary");
    /** Options that would name the object a verb acts on, which belongs in its argument. */
    static final Set<String> NAMING_OPTIONS = Set.of("--id", "--name");

    private static final String HOW_TO_EXTEND = " (docs/cli.md, 'Nouns and verbs'). If no existing verb means the"
            + " same, add the new one to NounsAndVerbsTest.ON_ONE (it acts on one existing object, named by its"
            + " argument) or OTHER_VERBS, and to the verbs docs/cli.md lists.";

    @Test
    void everyTopLevelCommandIsANounOrStandsAlone() {
        for (CommandLine c : topLevel()) {
            String name = c.getCommandName();
            if (!STANDALONE.contains(name)) {
                assertThat(c.getSubcommands()).as("'flotilla " + name + "' has no verbs: a command that acts on"
                        + " records is 'flotilla NOUN VERB'; one that runs a process belongs in"
                        + " NounsAndVerbsTest.STANDALONE and docs/cli.md's list of standalone commands").isNotEmpty();
            }
        }
    }

    @Test
    void everyNounAnswersToItsSingularAndItsPlural() {
        for (CommandLine noun : nouns()) {
            CommandSpec spec = noun.getCommandSpec();
            if (MASS_NOUNS.contains(spec.name())) {
                continue;
            }
            String singular = spec.name().endsWith("s") ? spec.name().substring(0, spec.name().length() - 1)
                    : spec.name();
            Set<String> names = new TreeSet<>(List.of(spec.aliases()));
            names.add(spec.name());
            assertThat(names).as("'" + spec.qualifiedName() + "' should answer to its singular and its plural: keep"
                    + " the documented name and add the other form as a picocli alias (aliases = \"...\"), or, for a"
                    + " noun with no plural, add it to NounsAndVerbsTest.MASS_NOUNS")
                    .containsExactlyInAnyOrder(singular, singular + "s");
        }
    }

    @Test
    void everyAliasOfATopLevelNounRunsIt() {
        for (CommandLine noun : topLevel()) {
            for (String alias : noun.getCommandSpec().aliases()) {
                CliRun help = CliRun.of(alias, "--help");
                assertThat(help.exitCode()).as("flotilla " + alias + " --help: " + help.err()).isZero();
                assertThat(help.out()).as(alias).startsWith("Usage: flotilla " + noun.getCommandName() + " ");
            }
        }
    }

    @Test
    void everyVerbIsFromTheVocabulary() {
        List<String> unknown = new ArrayList<>();
        for (CommandLine verb : verbs()) {
            String name = verb.getCommandName();
            if (!ON_ONE.contains(name) && !OTHER_VERBS.contains(name)) {
                unknown.add(verb.getCommandSpec().qualifiedName());
            }
        }
        assertThat(unknown).as("verbs outside the vocabulary: use a verb that exists with the same meaning"
                + HOW_TO_EXTEND).isEmpty();
    }

    @Test
    void aVerbOnOneObjectTakesItAsItsArgument() {
        for (CommandLine verb : verbs()) {
            CommandSpec spec = verb.getCommandSpec();
            if (!ON_ONE.contains(spec.name())) {
                continue;
            }
            List<PositionalParamSpec> visible = spec.positionalParameters().stream()
                    .filter(p -> !p.hidden() && p.required()).toList();
            assertThat(visible).as("'" + spec.qualifiedName() + "' acts on one existing object: take it as a"
                    + " required positional parameter (@Parameters(paramLabel = \"ID\")), as 'devices show ID' does")
                    .isNotEmpty();
            for (String option : NAMING_OPTIONS) {
                OptionSpec o = spec.findOption(option);
                assertThat(o == null || o.hidden()).as("'" + spec.qualifiedName() + "' names its object by " + option
                        + ": take it as the argument instead (an earlier option may stay hidden, deprecated)").isTrue();
            }
        }
    }

    private static List<CommandLine> topLevel() {
        return new ArrayList<>(new LinkedHashSet<>(new CommandLine(new Main()).getSubcommands().values()));
    }

    /** The top-level commands outside {@link #STANDALONE} that have verbs, and the nouns nested in them. */
    private static List<CommandLine> nouns() {
        List<CommandLine> out = new ArrayList<>();
        for (CommandLine c : topLevel()) {
            if (!STANDALONE.contains(c.getCommandName())) {
                collectNouns(c, out);
            }
        }
        return out;
    }

    private static void collectNouns(CommandLine c, List<CommandLine> out) {
        if (c.getSubcommands().isEmpty()) {
            return;
        }
        out.add(c);
        new LinkedHashSet<>(c.getSubcommands().values()).forEach(sub -> collectNouns(sub, out));
    }

    /** The commands under a noun that have no subcommands; hidden ones are earlier names kept working. */
    private static List<CommandLine> verbs() {
        List<CommandLine> out = new ArrayList<>();
        for (CommandLine noun : nouns()) {
            for (CommandLine sub : new LinkedHashSet<>(noun.getSubcommands().values())) {
                if (sub.getSubcommands().isEmpty() && !sub.getCommandSpec().usageMessage().hidden()) {
                    out.add(sub);
                }
            }
        }
        return out;
    }
}
