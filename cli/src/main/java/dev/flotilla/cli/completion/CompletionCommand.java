package dev.flotilla.cli.completion;

import dev.flotilla.cli.Main;
import dev.flotilla.cli.support.ToolCommand;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code flotilla completion bash|zsh}: prints a shell completion script for every {@code flotilla} command,
 * subcommand and option (picocli's generator; the same script serves zsh through its bash compatibility).
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Print a bash or zsh completion script for flotilla's commands and options.",
        footerHeading = "%nExamples:%n",
        footer = {"  source <(flotilla completion bash)           (this shell only)",
                "  flotilla completion bash > ~/.local/share/bash-completion/completions/flotilla",
                "  flotilla completion zsh > ~/.flotilla-completion.zsh",
                "      (and in ~/.zshrc: source ~/.flotilla-completion.zsh)"})
public final class CompletionCommand extends ToolCommand {
    @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
    String shell;

    @Override
    protected int execute() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new IllegalArgumentException("unknown shell '" + shell + "': give bash or zsh");
        }
        out().print(AutoComplete.bash("flotilla", new CommandLine(new Main())));
        out().flush();
        return 0;
    }
}
