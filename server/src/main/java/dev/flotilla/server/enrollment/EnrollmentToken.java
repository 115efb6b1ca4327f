package dev.flotilla.server.enrollment;

/**
 * An enrollment token as operators see it (never the secret). {@code uses} counts enrolled devices;
 * {@code maxUses} is how many it may enroll, null for a fleet-wide token (no limit, asked for explicitly, or
 * made before limits existed); {@code expiresAt} is null only for tokens made before every token expired.
 */
public record EnrollmentToken(String id, String description, String createdAt, String expiresAt, String revokedAt,
                              int uses, Long maxUses) {
}
