package dev.flotilla.server.testing;

/** A fresh database for one test: {@code kind} is {@code h2} or {@code postgresql}. */
public record TestDatabase(String kind, String jdbcUrl) {
    @Override
    public String toString() {
        return kind;
    }
}
