package dev.flotilla.sim;

import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.PowerCut;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * A board's storage across boots, with power cuts: every operation goes through a {@link CrashableDurable}
 * (which loses un-fsynced writes when the power goes) under the board's {@link RecordingDurable}. Each boot
 * asks for the storage anew ({@link #get()}); a boot after a cut turns the power back on and retires the
 * previous boot's storage for good, so a thread of the dead boot still running (a download) can never
 * write again, as on a board where the power went.
 */
final class Power implements Supplier<Durable> {
    private final CrashableDurable disk = new CrashableDurable();
    private final RecordingDurable recorded;
    /** Operations hold it shared; a new boot holds it alone, so no operation of a dead boot slips past. */
    private final ReadWriteLock boots = new ReentrantReadWriteLock();
    private Boot current;

    Power(Path queueDir) {
        this.recorded = new RecordingDurable(disk, queueDir);
    }

    RecordingDurable recorded() {
        return recorded;
    }

    /** Plans a cut just before the {@code k}-th storage operation from now. */
    void cutAfter(long k) {
        disk.cutAfter(k);
    }

    /** How many times the power was cut. */
    int cuts() {
        return disk.cuts();
    }

    @Override
    public Durable get() {
        boots.writeLock().lock();
        try {
            if (current != null) {
                current.dead = true;
            }
            if (disk.isOff()) {
                disk.powerOn();
            }
            current = new Boot(recorded, boots.readLock());
            return current;
        } finally {
            boots.writeLock().unlock();
        }
    }

    /** The storage as one boot sees it; dead once a later boot started. */
    private static final class Boot implements Durable {
        private final Durable real;
        private final Lock shared;
        private volatile boolean dead;

        Boot(Durable real, Lock shared) {
            this.real = real;
            this.shared = shared;
        }

        /** Runs {@code op} unless this boot is dead (then the power is out for it: {@link PowerCut}). */
        private void run(String what, EnvAction op) throws IOException {
            shared.lock();
            try {
                if (dead) {
                    throw new PowerCut(0, what + " by a boot the power went out on");
                }
                op.run();
            } finally {
                shared.unlock();
            }
        }

        @Override
        public void write(Path file, long offset, ByteBuffer data) throws IOException {
            run("write", () -> real.write(file, offset, data));
        }

        @Override
        public void append(Path file, byte[] data) throws IOException {
            run("append", () -> real.append(file, data));
        }

        @Override
        public void truncate(Path file, long size) throws IOException {
            run("truncate", () -> real.truncate(file, size));
        }

        @Override
        public void fsync(Path file) throws IOException {
            run("fsync", () -> real.fsync(file));
        }

        @Override
        public void rename(Path from, Path to) throws IOException {
            run("rename", () -> real.rename(from, to));
        }

        @Override
        public void delete(Path file) throws IOException {
            run("delete", () -> real.delete(file));
        }

        @Override
        public void envChange(String what, EnvAction action) throws IOException {
            run("envChange", () -> real.envChange(what, action));
        }
    }
}
