package dev.flotilla.cli.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documentation links only to files in the repository: every relative link of every Markdown file in the
 * checkout (README.md, docs/, the modules' own) names a file or folder that exists inside the repository,
 * so a fresh clone with nothing beside it has every page a link leads to. Links with a scheme (https:, ...)
 * and links within a page (#...) are not files and are not checked.
 */
class DocLinksTest {
    @TempDir
    Path tmp;
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** Folders that are not part of the checkout: build output, npm's downloads, tool state. */
    private static final Set<String> SKIPPED = Set.of("target", "node_modules", ".git", ".mvn");
    /** An inline link's target, {@code [text](target "title")}, or a reference definition's, {@code [x]: target}. */
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)"
            + "|^\\s{0,3}\\[[^\\]]+]:\\s*<?(\\S+?)>?(?:\\s.*)?$", Pattern.MULTILINE);
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    private static List<Path> markdownFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(ROOT) && SKIPPED.contains(dir.getFileName().toString())
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && file.getFileName().toString().endsWith(".md")) {
                    out.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return out.stream().sorted().toList();
    }

    /** The problems of {@code file}'s relative links: one line each, naming the file, the link and why. */
    static List<String> brokenLinks(Path root, Path file) throws IOException {
        List<String> broken = new ArrayList<>();
        Matcher m = LINK.matcher(Files.readString(file));
        while (m.find()) {
            String target = m.group(1) != null ? m.group(1) : m.group(2);
            String path = target.replaceFirst("#.*$", "").replaceFirst("\\?.*$", "");
            if (SCHEME.matcher(target).find() || path.isEmpty()) {
                continue;
            }
            Path resolved = (path.startsWith("/") ? root.resolve(path.substring(1)) : file.getParent().resolve(path))
                    .normalize();
            if (!resolved.startsWith(root)) {
                broken.add(root.relativize(file) + ": " + target + " leads outside the repository");
            } else if (!Files.exists(resolved)) {
                broken.add(root.relativize(file) + ": " + target + " names no file in the repository");
            }
        }
        return broken;
    }

    @Test
    void everyRelativeLinkOfTheDocumentationNamesAFileInTheRepository() throws IOException {
        List<Path> files = markdownFiles();
        assertThat(files).contains(ROOT.resolve("README.md"), ROOT.resolve("docs/security-model.md"),
                ROOT.resolve("docs/decisions/0001-report-queue-rejections.md"));
        List<String> broken = new ArrayList<>();
        for (Path f : files) {
            broken.addAll(brokenLinks(ROOT, f));
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void aLinkBesideTheCheckoutOrToAMissingFileIsFound() throws IOException {
        Path root = tmp.toRealPath();
        Path docs = Files.createDirectories(root.resolve("docs"));
        Files.writeString(docs.resolve("other.md"), "# other\n");
        Path page = Files.writeString(docs.resolve("page.md"), """
                See [the design](../../beside/design/security-model.md), [gone](missing.md),
                [fine](other.md#section), [web](https://example.org/x.md), [here](#top) and [up](../docs/other.md).

                [ref]: ../../outside.md
                """);

        assertThat(brokenLinks(root, page)).containsExactly(
                "docs/page.md: ../../beside/design/security-model.md leads outside the repository",
                "docs/page.md: missing.md names no file in the repository",
                "docs/page.md: ../../outside.md leads outside the repository");
    }
}
