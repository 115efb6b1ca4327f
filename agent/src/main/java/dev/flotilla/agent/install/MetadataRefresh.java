package dev.flotilla.agent.install;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.client.Updater;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Refreshes the device's TUF metadata on the agent's own schedule, with or without an assignment, so that
 * a server that stops re-signing its timestamp (an indefinite freeze) is noticed by an idle device too; and
 * says since when the metadata the device holds has been stale, for the signed manifest's
 * {@code metadataFrozenSince}.
 *
 * <p>A refresh never throws: whatever goes wrong (refused or oversized metadata, the transport, the disk,
 * even memory) is one log line, and the next try comes one interval later.
 */
public final class MetadataRefresh {
    private final Updater updater;
    private final Path metadataDir;
    private final Clock clock;
    private final Duration every;
    private final Consumer<String> log;
    private Instant lastTry;

    /**
     * @param metadataDir the updater's trusted metadata directory (where the verified timestamp and snapshot
     *                    are stored)
     * @param every       how often to refresh (the first call refreshes at once)
     */
    public MetadataRefresh(Updater updater, Path metadataDir, Clock clock, Duration every, Consumer<String> log) {
        this.updater = updater;
        this.metadataDir = metadataDir;
        this.clock = clock;
        this.every = every;
        this.log = log;
    }

    /** Refreshes when the last try is at least one interval ago; logs one line when the refresh fails. */
    public void refreshIfDue() {
        Instant now = clock.instant();
        if (lastTry != null && now.isBefore(lastTry.plus(every))) {
            return;
        }
        lastTry = now;
        try {
            updater.refresh();
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // OutOfMemoryError: what the refresh allocated is unreachable once it unwound
            String why = e instanceof Error || e.getMessage() == null ? e.toString() : e.getMessage();
            log.accept("TUF metadata refresh failed: " + why
                    + frozenSince().map(t -> " (metadata frozen since " + t + ")").orElse(""));
        }
    }

    /**
     * The earliest expiry, already passed, of the timestamp and snapshot the device holds (verified and
     * stored by its last successful refresh): since when its metadata has been stale. Empty while both are
     * current, and before the first successful refresh.
     */
    public Optional<Instant> frozenSince() {
        Instant now = clock.instant();
        Optional<Instant> ts = expiry("timestamp.json");
        Optional<Instant> snap = expiry("snapshot.json");
        return ts.or(() -> snap).map(t -> snap.filter(s -> s.isBefore(t)).orElse(t)).filter(t -> !t.isAfter(now));
    }

    private Optional<Instant> expiry(String file) {
        try {
            return Optional.of(Metadata.fromBytes(Files.readAllBytes(metadataDir.resolve(file))).signed())
                    .map(Signed::expires);
        } catch (IOException | RepositoryError e) {
            return Optional.empty();
        }
    }
}
