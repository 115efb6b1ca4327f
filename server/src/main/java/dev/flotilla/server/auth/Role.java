package dev.flotilla.server.auth;

import java.util.Locale;
import java.util.Optional;

/** Operator roles, each allowed everything the ones before it are: viewer < operator < release-manager < admin. */
public enum Role {
    VIEWER("viewer"), OPERATOR("operator"), RELEASE_MANAGER("release-manager"), ADMIN("admin");

    private final String wireName;

    Role(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in the API and the database. */
    public String wireName() {
        return wireName;
    }

    /** Whether this role may do what {@code required} may. */
    public boolean covers(Role required) {
        return ordinal() >= required.ordinal();
    }

    public static Optional<Role> fromWireName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Role r : values()) {
            if (r.wireName.equals(n)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
