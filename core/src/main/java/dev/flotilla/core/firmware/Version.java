package dev.flotilla.core.firmware;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A firmware version string and its order.
 *
 * <p>The rule (semantic-versioning-like):
 * <ol>
 *   <li>A version is a dotted numeric core ({@code 1}, {@code 2.4}, {@code 1.10.3.7}), optionally followed by
 *   {@code -PRERELEASE} (dot-separated identifiers of {@code [0-9A-Za-z-]}) and optionally {@code +BUILD}.
 *   A leading {@code v} is not allowed; leading zeros in numbers are allowed and ignored.</li>
 *   <li>Cores compare number by number from the left; a missing number counts as 0, so {@code 1.2}
 *   equals {@code 1.2.0} and {@code 1.10} is newer than {@code 1.9}.</li>
 *   <li>With equal cores, a version with a pre-release is older than one without
 *   ({@code 2.0.0-rc.1 < 2.0.0}); two pre-releases compare identifier by identifier: numeric ones
 *   numerically, numeric below alphanumeric, others by ASCII order, a shorter list first when all its
 *   identifiers are equal.</li>
 *   <li>Build metadata ({@code +...}) is ignored for ordering, so {@code 1.0+a} equals {@code 1.0+b}.</li>
 * </ol>
 * {@link #equals} is consistent with {@link #compareTo}: versions are equal when they compare as 0.
 */
public final class Version implements Comparable<Version> {
    private final String text;
    private final List<Long> core;
    private final List<String> preRelease;

    private Version(String text, List<Long> core, List<String> preRelease) {
        this.text = text;
        this.core = core;
        this.preRelease = preRelease;
    }

    /**
     * Parses a version string.
     *
     * @throws IllegalArgumentException when the string does not follow the rule in the class comment
     */
    public static Version parse(String text) {
        Objects.requireNonNull(text, "version");
        String s = text;
        int plus = s.indexOf('+');
        if (plus >= 0) {
            requireIdentifiers(text, s.substring(plus + 1));
            s = s.substring(0, plus);
        }
        List<String> pre = List.of();
        int dash = s.indexOf('-');
        if (dash >= 0) {
            pre = requireIdentifiers(text, s.substring(dash + 1)).stream()
                    .map(id -> id.chars().allMatch(Character::isDigit) ? new java.math.BigInteger(id).toString() : id)
                    .toList();
            s = s.substring(0, dash);
        }
        if (s.isEmpty()) {
            throw invalid(text);
        }
        List<Long> core = new ArrayList<>();
        for (String part : s.split("\\.", -1)) {
            if (part.isEmpty() || !part.chars().allMatch(c -> c >= '0' && c <= '9') || part.length() > 18) {
                throw invalid(text);
            }
            core.add(Long.parseLong(part));
        }
        while (core.size() > 1 && core.get(core.size() - 1) == 0) {
            core.remove(core.size() - 1);
        }
        return new Version(text, List.copyOf(core), pre);
    }

    /** Whether {@code text} is a valid version. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static List<String> requireIdentifiers(String text, String ids) {
        String[] parts = ids.split("\\.", -1);
        for (String p : parts) {
            if (p.isEmpty() || !p.matches("[0-9A-Za-z-]+")) {
                throw invalid(text);
            }
        }
        return List.of(parts);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid version '" + text
                + "' (expected dotted numbers like 1.4.2, optionally -prerelease and +build)");
    }

    @Override
    public int compareTo(Version o) {
        int n = Math.max(core.size(), o.core.size());
        for (int i = 0; i < n; i++) {
            int c = Long.compare(i < core.size() ? core.get(i) : 0, i < o.core.size() ? o.core.get(i) : 0);
            if (c != 0) {
                return c;
            }
        }
        if (preRelease.isEmpty() || o.preRelease.isEmpty()) {
            return Boolean.compare(preRelease.isEmpty(), o.preRelease.isEmpty());
        }
        for (int i = 0; i < Math.min(preRelease.size(), o.preRelease.size()); i++) {
            int c = compareIdentifier(preRelease.get(i), o.preRelease.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(preRelease.size(), o.preRelease.size());
    }

    private static int compareIdentifier(String a, String b) {
        boolean an = a.chars().allMatch(Character::isDigit);
        boolean bn = b.chars().allMatch(Character::isDigit);
        if (an && bn) {
            return new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b));
        }
        if (an != bn) {
            return an ? -1 : 1;
        }
        return a.compareTo(b);
    }

    public boolean isOlderThan(Version o) {
        return compareTo(o) < 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(core, preRelease);
    }

    /** The string as given. */
    @Override
    public String toString() {
        return text;
    }
}
