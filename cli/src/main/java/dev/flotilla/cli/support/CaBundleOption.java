package dev.flotilla.cli.support;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --ca-bundle FILE} (or FLOTILLA_CA_BUNDLE): the CA certificates an HTTPS server is checked against,
 * for a server whose certificate a private CA signed. A mixin of every command that builds a {@link ServerClient}.
 */
public final class CaBundleOption {
    @Option(names = "--ca-bundle", defaultValue = "${env:FLOTILLA_CA_BUNDLE}", paramLabel = "FILE",
            description = "PEM file of CA certificates to trust for the server's HTTPS certificate instead of "
                    + "the JDK's (default: env FLOTILLA_CA_BUNDLE).")
    Path caBundle;

    /** The bundle, or null for the JDK's default trust store. */
    public Path path() {
        return caBundle;
    }
}
