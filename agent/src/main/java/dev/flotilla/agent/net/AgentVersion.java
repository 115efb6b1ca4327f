package dev.flotilla.agent.net;

/** The agent's version as reported in manifests. */
public final class AgentVersion {
    public static final String VALUE = "0.1.0";

    private AgentVersion() {
    }
}
