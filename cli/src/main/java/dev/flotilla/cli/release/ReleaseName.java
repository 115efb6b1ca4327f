package dev.flotilla.cli.release;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The release a command acts on, by its target path: the command's argument {@code NAME}, as every noun takes
 * the one object a verb acts on, or {@code --name NAME}, the earlier form, hidden and deprecated (it keeps
 * working, with a warning on stderr, until it is removed). A command holds it as an exclusive picocli argument
 * group of multiplicity one, so exactly one of the two is given: {@code @ArgGroup(exclusive = true, multiplicity =
 * "1")}.
 */
public final class ReleaseName {
    @Parameters(paramLabel = "NAME", description = "The release's target path (as 'flotilla release list' shows it).")
    String argument;

    @Option(names = "--name", hidden = true, paramLabel = "NAME",
            description = "Deprecated: give NAME as the argument instead.")
    String option;

    /**
     * The target path; when it came by {@code --name}, first prints on stderr that the option is deprecated and
     * what to write instead.
     */
    String value(CommandSpec spec) {
        if (option == null) {
            return argument;
        }
        spec.commandLine().getErr().println("flotilla: warning: --name is deprecated and will be removed; give the"
                + " release as the argument: flotilla release " + spec.name() + " " + option + " ...");
        spec.commandLine().getErr().flush();
        return option;
    }
}
