package dev.flotilla.server.devices;

/** What keeps an {@link IdleCache} true to its database: one per database kind. */
sealed interface CacheFeed extends AutoCloseable permits ChangeFeed, H2ChangeFeed {
    /** Whether the cache may answer now. */
    boolean current();

    /** Returns once every server answers check-ins from what is committed now. */
    void settle();

    /** Stops it; the cache stops answering. */
    @Override
    void close();
}
