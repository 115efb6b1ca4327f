package dev.flotilla.agent.maintenance;

import dev.flotilla.agent.update.Assignment;
import dev.flotilla.agent.update.HealthCheck;
import dev.flotilla.agent.update.InstallGate;
import java.time.Clock;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;

/**
 * The device's maintenance policy: downloads happen any time; installing waits for a daily window
 * ({@link DailyWindow}, in {@code zone}) or for the idle check to pass. A forced assignment installs at
 * once. With no windows and no idle check, installing is always allowed.
 */
public final class MaintenancePolicy implements InstallGate {
    private final List<DailyWindow> windows;
    private final ZoneId zone;
    private final HealthCheck idleCheck;
    private final Clock clock;

    /** @param idleCheck a command check whose exit 0 means "idle", or null */
    public MaintenancePolicy(List<DailyWindow> windows, ZoneId zone, HealthCheck idleCheck, Clock clock) {
        this.windows = List.copyOf(windows);
        this.zone = zone;
        this.idleCheck = idleCheck;
        this.clock = clock;
    }

    @Override
    public boolean mayInstall(Assignment a) throws InterruptedException {
        if (a.forced() || (windows.isEmpty() && idleCheck == null)) {
            return true;
        }
        LocalTime now = clock.instant().atZone(zone).toLocalTime();
        for (DailyWindow w : windows) {
            if (w.contains(now)) {
                return true;
            }
        }
        if (idleCheck == null) {
            return false;
        }
        try {
            return idleCheck.run() instanceof HealthCheck.Result.Healthy;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return false;
        }
    }
}
