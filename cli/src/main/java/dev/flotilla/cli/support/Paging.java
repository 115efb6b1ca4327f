package dev.flotilla.cli.support;

import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code --limit} and {@code --offset} options of every listing command (a picocli mixin). */
public final class Paging {
    @Option(names = "--limit", paramLabel = "N", description = "Page size (server default 50, at most 500).")
    Integer limit;

    @Option(names = "--offset", paramLabel = "N", description = "Skip this many.")
    Integer offset;

    /** The query parameters; unset options are left out by the query builder. */
    public Map<String, Object> params() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offset", offset);
        m.put("limit", limit);
        return m;
    }
}
