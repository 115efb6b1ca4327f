package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.auth.Role;

/**
 * What every page's frame needs: its title, which section of the navigation is current, and the signed-in
 * operator with the session's CSRF token (both null on the sign-in page).
 */
public record Chrome(String title, String section, Operator operator, String csrf) {
    /** The frame of a page outside a session. */
    static Chrome anonymous(String title) {
        return new Chrome(title, "", null, null);
    }

    public boolean signedIn() {
        return operator != null;
    }

    /** {@code page} for the current navigation entry, null (attribute left out) for the others. */
    public String current(String name) {
        return section.equals(name) ? "page" : null;
    }

    /** Whether the operator may do what {@code role} may (the page offers only that). */
    public boolean may(Role role) {
        return operator != null && operator.role().covers(role);
    }

    public boolean admin() {
        return may(Role.ADMIN);
    }

    public boolean operates() {
        return may(Role.OPERATOR);
    }

    /** The {@code hx-headers} value that makes htmx send the CSRF token with every request. */
    public String csrfHeaders() {
        return csrf == null ? null : "{\"" + Gate.CSRF_HEADER + "\": \"" + csrf + "\"}";
    }
}
