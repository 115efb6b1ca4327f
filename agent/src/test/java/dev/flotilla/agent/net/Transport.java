package dev.flotilla.agent.net;

import java.net.http.HttpClient;

/** The two implementations of {@link DeviceHttp}, for tests that hold both to its contract. */
public enum Transport {
    /** A device's own connections ({@link DeviceHttp#direct}). */
    DIRECT,
    /** One JDK {@code HttpClient} shared by agents, as the simulator's boards share it ({@link DeviceHttp#over}). */
    SHARED_CLIENT;

    /** One client for every test of this JVM that asks for it (its selector thread is a daemon). */
    private static final class Shared {
        static final HttpClient CLIENT = DeviceHttp.sharedClient(null, Thread.ofVirtual().factory());
    }

    public DeviceHttp http() {
        return this == DIRECT ? DeviceHttp.direct(null) : DeviceHttp.over(Shared.CLIENT);
    }
}
