package dev.flotilla.server.tokens;

/** An operator API token as the API shows it: never the secret, which exists only at creation. */
public record ApiToken(String id, String name, String role, String createdAt, String createdBy, String revokedAt) {
    public boolean revoked() {
        return revokedAt != null;
    }
}
