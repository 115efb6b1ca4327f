package dev.flotilla.cli.trust;

import dev.flotilla.cli.support.KeyArgs;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.client.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code flotilla trust sign}: one root key holder signs a root draft on their own machine (no server, no other
 * keys needed). The draft's existing signatures are checked first, the draft's roles are shown, and the signed
 * draft is written to {@code --out} (default: the draft file itself), for {@code trust publish}. With
 * {@code --json} it prints the signed file, its {@code version}, {@code expires}, the key ids of its
 * {@code signatures}, {@code validSignatures} and {@code threshold} of its root role and, with
 * {@code --previous-root}, {@code previous} (the same count by the previous root's keys) as one line of JSON.
 */
@Command(name = "sign", mixinStandardHelpOptions = true,
        description = "Sign a root draft with your root key(s), on your own machine; combine and publish with 'trust publish'.")
public final class TrustSignCommand extends ToolCommand {
    @Option(names = "--draft", required = true, paramLabel = "FILE", description = "Root draft ('trust rotate --draft')")
    Path draft;

    @Option(names = "--key", required = true, arity = "1..*", paramLabel = "PRIVATE",
            description = "Your private root key: a key file or a pkcs11: URI")
    List<Path> keys;

    @Option(names = "--previous-root", paramLabel = "FILE",
            description = "The current root (N-1.root.json): needed when your key is a root key only of that version")
    Path previousRoot;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the signed draft here (default: --draft)")
    Path out;

    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        Metadata<Root> md = RootDrafts.read(draft);
        Root previous = previousRoot == null ? null : RootDrafts.read(previousRoot).signed();
        md = RootDrafts.combine(draft, md, List.of(), previous);
        json.text(spec).println("signing " + RootDrafts.summary(md.signed()));
        md = RootDrafts.sign(md, KeyArgs.signers(keys), previous);
        Path target = out != null ? out : draft;
        AtomicFiles.write(target, md.toBytes());
        json.text(spec).println("wrote " + target + ": " + RootDrafts.status(md, previous));
        json.print(spec, RootDrafts.result(target, md, previous));
        return 0;
    }
}
