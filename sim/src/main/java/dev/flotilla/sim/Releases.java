package dev.flotilla.sim;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * The operator's offline steps, which the simulator does the way an operator would (the {@code flotilla}
 * commands supply them): offline keys and the trusted root, and signing releases with the offline targets key.
 */
public interface Releases {
    /** Makes the offline root and targets keys and uploads a root that also names the server's online keys. */
    void createTrust() throws IOException;

    /**
     * Signs {@code image} into the targets metadata offline and uploads it as release {@code version} for
     * {@code hardware}.
     *
     * @return the target path devices are assigned
     */
    String publish(Path image, String version, String hardware) throws IOException;

    /**
     * Makes the {@link Releases} of an operator of {@code server} holding {@code adminToken}, checking its HTTPS
     * certificate against the CAs in {@code caBundle} (null: the JDK's), keys in {@code keysDir}.
     */
    @FunctionalInterface
    interface Factory {
        Releases open(URI server, String adminToken, Path caBundle, Path keysDir) throws IOException;
    }
}
