package dev.flotilla.agent.update;

/**
 * Whether an update that is downloaded and verified may be installed now (arm the trial and reboot).
 * While the gate is closed the machine waits in INSTALLING without counting re-entries.
 */
@FunctionalInterface
public interface InstallGate {
    InstallGate ALWAYS = a -> true;

    boolean mayInstall(Assignment assignment) throws InterruptedException;
}
