package dev.flotilla.server.http;

import dev.flotilla.server.auth.Operator;

import java.util.Optional;

/** Resolves bearer secrets to who presented them. Implementations look the hashed secret up in the store. */
public interface Authenticator {
    /** The operator whose live (not revoked) API token this is, if any. */
    Optional<Operator> operator(String bearer);

    /** The id of the active device whose unexpired device token this is, if any. */
    Optional<String> device(String bearer);
}
