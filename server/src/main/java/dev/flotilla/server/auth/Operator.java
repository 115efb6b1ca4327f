package dev.flotilla.server.auth;

/** An authenticated operator: the API token that was presented and its role. */
public record Operator(String tokenId, String tokenName, Role role) {
    public Actor actor() {
        return new Actor("token", tokenId, tokenName);
    }
}
