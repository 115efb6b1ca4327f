package dev.flotilla.server.enrollment;

/** An enrollment token as operators see it (never the secret). {@code uses} counts enrolled devices. */
public record EnrollmentToken(String id, String description, String createdAt, String expiresAt, String revokedAt,
                              int uses) {
}
