package dev.flotilla.cli.support;

import picocli.CommandLine.Option;

import java.util.Map;

/** The {@code --newest-first} option of listings that grow with time: device events, the audit log (a picocli mixin). */
public final class NewestFirst {
    @Option(names = "--newest-first", description = "Newest first (default: oldest first); paging follows this order.")
    boolean newestFirst;

    /** {@code params} with {@code order=desc} added when the option is set. */
    public Map<String, Object> addTo(Map<String, Object> params) {
        if (newestFirst) {
            params.put("order", "desc");
        }
        return params;
    }
}
