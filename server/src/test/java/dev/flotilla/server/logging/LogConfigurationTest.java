package dev.flotilla.server.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

class LogConfigurationTest {
    @Test
    void logbackFindsItAsAConfigurator() {
        List<Class<?>> found = new ArrayList<>();
        ServiceLoader.load(Configurator.class).forEach(c -> found.add(c.getClass()));
        assertThat(found).contains(LogConfiguration.class);
    }

    @Test
    void stepsAsideWhenAnXmlConfigurationIsOnTheClassPath() {
        // the server's tests have a logback-test.xml
        assertThat(LogConfiguration.class.getClassLoader().getResource("logback-test.xml")).isNotNull();
        LoggerContext context = new LoggerContext();
        LogConfiguration configuration = new LogConfiguration();
        configuration.setContext(context);

        assertThat(configuration.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();
    }

    @Test
    void setsUpWhatTheXmlConfigurationOfTheTestsSays() throws Exception {
        LoggerContext code = new LoggerContext();
        LogConfiguration.apply(code);
        LoggerContext xml = new LoggerContext();
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(xml);
        URL testXml = LogConfiguration.class.getClassLoader().getResource("logback-test.xml");
        joran.doConfigure(testXml);

        List<String> names = new ArrayList<>(LogConfiguration.QUIET);
        names.addAll(List.of(Logger.ROOT_LOGGER_NAME, "dev.flotilla.server.Server", "org.jdbi.v3"));
        for (String name : names) {
            assertThat(code.getLogger(name).getEffectiveLevel()).as(name)
                    .isEqualTo(xml.getLogger(name).getEffectiveLevel());
        }
        ConsoleAppender<ILoggingEvent> a = (ConsoleAppender<ILoggingEvent>) code.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        ConsoleAppender<ILoggingEvent> b = (ConsoleAppender<ILoggingEvent>) xml.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        assertThat(a.getTarget()).isEqualTo(b.getTarget()).isEqualTo("System.err");
        assertThat(((PatternLayoutEncoder) a.getEncoder()).getPattern())
                .isEqualTo(((PatternLayoutEncoder) b.getEncoder()).getPattern());
        assertThat(a.isStarted()).isTrue();
    }
}
