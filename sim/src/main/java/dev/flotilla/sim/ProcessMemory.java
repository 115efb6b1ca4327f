package dev.flotilla.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process's memory as Linux reports it in {@code /proc/PID/status}, in KiB: {@code VmRSS} (resident now),
 * {@code VmHWM} (the peak), {@code RssAnon} and {@code RssFile}.
 */
public record ProcessMemory(long rssKiB, long hwmKiB, long anonKiB, long fileKiB) {
    /** Process {@code pid}'s memory now; empty when there is no such process (or no {@code /proc}). */
    public static Optional<ProcessMemory> of(long pid) {
        long rss = 0;
        long hwm = 0;
        long anon = 0;
        long file = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                long kib = l.endsWith(" kB") ? Long.parseLong(l.replaceAll("[^0-9]", "")) : 0;
                switch (l.substring(0, Math.max(0, l.indexOf(':')))) {
                    case "VmRSS" -> rss = kib;
                    case "VmHWM" -> hwm = kib;
                    case "RssAnon" -> anon = kib;
                    case "RssFile" -> file = kib;
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException gone) {
            return Optional.empty();
        }
        return rss == 0 ? Optional.empty() : Optional.of(new ProcessMemory(rss, hwm, anon, file));
    }

    /** This process's memory now. */
    public static Optional<ProcessMemory> self() {
        return of(ProcessHandle.current().pid());
    }

    /** Resident now, in MiB. */
    public long rssMiB() {
        return rssKiB / 1024;
    }

    /** The peak resident size, in MiB. */
    public long hwmMiB() {
        return hwmKiB / 1024;
    }
}
