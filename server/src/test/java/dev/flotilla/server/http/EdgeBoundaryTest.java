package dev.flotilla.server.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only the HTTP edge knows request bodies and HTTP errors: outside the {@code http} and {@code ui} packages and
 * the route classes ({@code *Routes.java}), no source file of the server uses {@link JsonBody} or
 * {@link ApiException}; services take records and throw {@code errors.DomainError}.
 */
class EdgeBoundaryTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/flotilla/server");

    @Test
    void servicesNeitherReadRequestBodiesNorThrowHttpErrors() throws IOException {
        assertThat(SOURCES).isDirectory();
        List<String> offenders;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> !edge(p))
                    .filter(EdgeBoundaryTest::usesEdgeTypes).map(p -> SOURCES.relativize(p).toString()).sorted()
                    .toList();
        }
        assertThat(offenders).as("services that use JsonBody or ApiException").isEmpty();
    }

    private static boolean edge(Path p) {
        String rel = SOURCES.relativize(p).toString().replace('\\', '/');
        return rel.startsWith("http/") || rel.startsWith("ui/") || rel.endsWith("Routes.java");
    }

    private static boolean usesEdgeTypes(Path p) {
        try {
            String text = Files.readString(p);
            return text.contains("JsonBody") || text.contains("ApiException");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
