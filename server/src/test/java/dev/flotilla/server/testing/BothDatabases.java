package dev.flotilla.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Runs each {@link StoreTest} twice: on a fresh in-memory H2 database and on a fresh database of one
 * embedded PostgreSQL server (real binaries, started once per test JVM and stopped at its end).
 */
public final class BothDatabases implements TestTemplateInvocationContextProvider {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return true;
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        return Stream.of(invocation("h2"), invocation("postgresql"));
    }

    /** A fresh H2 database. */
    public static TestDatabase h2() {
        return new TestDatabase("h2", "jdbc:h2:mem:flotilla" + COUNTER.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    }

    /** A fresh database on the shared embedded PostgreSQL server. */
    public static TestDatabase postgres() {
        EmbeddedPostgres pg = Postgres.INSTANCE;
        String name = "flotilla" + COUNTER.incrementAndGet();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return new TestDatabase("postgresql", pg.getJdbcUrl("postgres", name));
    }

    private static TestTemplateInvocationContext invocation(String kind) {
        return new TestTemplateInvocationContext() {
            @Override
            public String getDisplayName(int invocationIndex) {
                return kind;
            }

            @Override
            public List<org.junit.jupiter.api.extension.Extension> getAdditionalExtensions() {
                return List.of(new ParameterResolver() {
                    @Override
                    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
                        return p.getParameter().getType() == TestDatabase.class;
                    }

                    @Override
                    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
                        return kind.equals("h2") ? h2() : postgres();
                    }
                });
            }
        };
    }

    /** The embedded PostgreSQL server, started on first use and stopped when the JVM exits. */
    private static final class Postgres {
        static final EmbeddedPostgres INSTANCE = start();

        private static EmbeddedPostgres start() {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        pg.close();
                    } catch (IOException ignored) {
                        // the JVM is exiting; the temporary cluster is removed by the library
                    }
                }));
                return pg;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
            }
        }
    }
}
