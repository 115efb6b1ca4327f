package dev.flotilla.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.List;

/**
 * Flotilla's logging set-up, in code rather than a {@code logback.xml}: Logback's XML configurator costs a
 * server start a noticeable share of its time on a small machine (an XML parser and Logback's model
 * processors loaded and run once). One console appender on stderr with the pattern
 * {@value #PATTERN}; root at INFO; Jetty, HikariCP, Flyway, Javalin and embedded PostgreSQL at WARN.
 *
 * <p>Found by Logback through {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}. It steps
 * aside, so that Logback's usual configuration applies, when the system property
 * {@code logback.configurationFile} is set or a {@code logback-test.xml} or {@code logback.xml} is on the
 * class path.
 */
public final class LogConfiguration extends ContextAwareBase implements Configurator {
    /** The line layout of every log message. */
    public static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n";
    /** Loggers held at WARN: chatty libraries whose INFO lines say nothing an operator needs. */
    public static final List<String> QUIET = List.of("org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb",
            "io.javalin", "io.zonky");

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (configuredElsewhere()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Sets up {@code context} as described above, whatever else is on the class path. */
    static void apply(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        for (String name : QUIET) {
            context.getLogger(name).setLevel(Level.WARN);
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
    }

    private static boolean configuredElsewhere() {
        ClassLoader loader = LogConfiguration.class.getClassLoader();
        return System.getProperty("logback.configurationFile") != null
                || loader.getResource("logback-test.xml") != null
                || loader.getResource("logback.xml") != null;
    }
}
