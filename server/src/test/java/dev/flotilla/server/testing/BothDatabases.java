package dev.flotilla.server.testing;

import dev.flotilla.server.store.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Runs each {@link StoreTest} twice: on a fresh in-memory H2 database and on a fresh database of one
 * embedded PostgreSQL server (real binaries, started once per test JVM and stopped at its end).
 *
 * <p>A fresh database already holds the current schema: the server's own migrations ({@link Database#open}) run
 * once per test JVM and kind into a template, and each test's database is a copy of it (on PostgreSQL a database
 * created from the template, on H2 the template's {@code SCRIPT} run into a new in-memory database). The server
 * that opens it then finds every migration applied, as it does on a restart. Migrating every test's database
 * from nothing took about half a second each. {@link #empty} gives a database without any schema, for the tests
 * of the migrations themselves.
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

    /** A fresh H2 database with the current schema. */
    public static TestDatabase h2() {
        TestDatabase db = emptyH2();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("RUNSCRIPT FROM '" + H2Template.SCRIPT + "'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return db;
    }

    /** A fresh database with the current schema on the shared embedded PostgreSQL server. */
    public static TestDatabase postgres() {
        return createPostgres(" TEMPLATE " + PostgresTemplate.NAME);
    }

    /** A fresh database of this kind ({@code h2} or {@code postgresql}) without any schema. */
    public static TestDatabase empty(String kind) {
        return kind.equals("h2") ? emptyH2() : createPostgres("");
    }

    private static TestDatabase emptyH2() {
        return new TestDatabase("h2", "jdbc:h2:mem:flotilla" + COUNTER.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    }

    private static TestDatabase createPostgres(String template) {
        return createPostgres("flotilla" + COUNTER.incrementAndGet(), template);
    }

    private static TestDatabase createPostgres(String name, String template) {
        EmbeddedPostgres pg = Postgres.INSTANCE;
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name + template);
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

    /** The H2 template: an in-memory database migrated by the server, written out as SQL, then dropped. */
    private static final class H2Template {
        static final Path SCRIPT = make();

        private static Path make() {
            TestDatabase db = emptyH2();
            Database.open(db.jdbcUrl()).close();
            try (Connection c = DriverManager.getConnection(db.jdbcUrl()); Statement s = c.createStatement()) {
                Path script = Files.createTempFile("flotilla-h2-schema", ".sql");
                script.toFile().deleteOnExit();
                s.execute("SCRIPT TO '" + script + "'");
                s.execute("SHUTDOWN");
                return script;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The PostgreSQL template: a database migrated by the server, whose connections are all closed. */
    private static final class PostgresTemplate {
        static final String NAME = make();

        private static String make() {
            String name = "flotilla_template";
            Database.open(createPostgres(name, "").jdbcUrl()).close();
            return name;
        }
    }
}
