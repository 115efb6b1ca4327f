package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.counter.AntiRollbackCounter;
import dev.flotilla.agent.net.AgentVersion;
import dev.flotilla.agent.net.EventReporter;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.time.Sleeper;
import dev.flotilla.agent.update.AgentListener;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.agent.update.HealthReport;
import dev.flotilla.agent.update.UpdateSource;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.client.Updater;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The agent's {@link UpdateSource}: checks in with a signed manifest, verifies an assignment
 * ({@link AssignmentVerification}) and downloads the image with {@link RangeDownload}. Refusals are
 * reported to the server (once per assignment and reason: the event id is derived from both) and the
 * device stays on what it runs. Download progress is reported every 10%.
 */
public final class TufUpdateSource implements UpdateSource {
    /** The A/B slots a board has (the names the boot environment and the slot records use). */
    private static final java.util.List<String> SLOTS = java.util.List.of("a", "b");

    /** What the source needs from the device. */
    public record Parts(ServerClient client, EventReporter events, AssignmentVerification verification,
            Updater updater, BootControl boot, AntiRollbackCounter counter, SlotRecords records) {
    }

    /**
     * Download settings; {@code tls} (may be null) holds the CAs an HTTPS server is checked against, and the
     * pause before a reconnect is taken on {@code sleeper}.
     *
     * @param mirrors    image mirrors tried in order before {@code targetsUrl}, each a base URL with the layout of
     *                   {@code targetsUrl}; a mirror gets {@link #MIRROR_RETRIES} retries before the next is tried
     * @param maxRetries retries in a row of the last source, {@code targetsUrl}
     */
    public record Download(URI targetsUrl, List<URI> mirrors, int maxRetries, Duration retryDelay, Duration timeout,
                           SSLContext tls, Sleeper sleeper) {
        public Download {
            mirrors = List.copyOf(mirrors);
        }
    }

    /** Retries in a row of a mirror before the download goes on from the next source. */
    public static final int MIRROR_RETRIES = 1;

    private final Parts parts;
    private java.util.function.LongSupplier droppedReports = () -> 0;
    private java.util.function.Supplier<Optional<java.time.Instant>> frozenSince = Optional::empty;
    private java.util.function.Supplier<HealthReport> health = () -> HealthReport.UNKNOWN;
    private final String hardwareId;
    private final String factoryVersion;
    private final Download download;
    private Optional<Duration> lastInterval = Optional.empty();
    private volatile boolean lastFailed;
    private volatile String lastError = "";
    private volatile boolean lastLocal;
    private volatile boolean decommissioned;
    private Consumer<String> log = s -> { };
    private AgentListener listener = AgentListener.NONE;

    public TufUpdateSource(Parts parts, String hardwareId, String factoryVersion, Download download) {
        this.parts = parts;
        this.hardwareId = hardwareId;
        this.factoryVersion = factoryVersion;
        this.download = download;
    }

    /** Where progress lines go (the CLI prints them). */
    public void log(Consumer<String> sink) {
        this.log = sink;
    }

    /** Who hears of assignment verification results. */
    /** Where the manifest's {@code droppedReports} comes from: the report queue's durable count. */
    public void droppedReports(java.util.function.LongSupplier count) {
        this.droppedReports = count;
    }

    /** Where the manifest's {@code metadataFrozenSince} comes from ({@link MetadataRefresh#frozenSince}). */
    public void metadataFrozenSince(java.util.function.Supplier<Optional<java.time.Instant>> since) {
        this.frozenSince = since;
    }

    /** Where the manifest's {@code healthState} and {@code healthChecks} come from: the last round of checks. */
    public void health(java.util.function.Supplier<HealthReport> report) {
        this.health = report;
    }

    public void listener(AgentListener l) {
        this.listener = l;
    }

    /** The interval the server named in the last successful check-in. */
    public Optional<Duration> lastInterval() {
        return lastInterval;
    }

    /** Why the last check-in failed. */
    public String lastError() {
        return lastError;
    }

    /** Whether the last check-in failed (the caller backs off). */
    public boolean lastFailed() {
        return lastFailed;
    }

    /**
     * Whether the last check-in failed on this device, before anything was sent (e.g. the boot environment
     * could not be read for the manifest), rather than on the way to or at the server.
     */
    public boolean lastFailedLocally() {
        return lastFailed && lastLocal;
    }

    /** Whether the server refused the last check-in because this device is decommissioned. */
    public boolean decommissioned() {
        return decommissioned;
    }

    @Override
    public Optional<Assignment> poll() throws IOException {
        return verifiedAnswer(true);
    }

    /** Like {@link #poll}, but the inactive slot's record keeps naming the image the machine holds. */
    @Override
    public Optional<Assignment> recheck() throws IOException {
        return verifiedAnswer(false);
    }

    /** Checks in and verifies the answer; {@code recordSlot}: the inactive slot will hold it. */
    private Optional<Assignment> verifiedAnswer(boolean recordSlot) throws IOException {
        JsonNode json = checkIn();
        if (json == null) {
            return Optional.empty();
        }
        Assignment a;
        try {
            a = parts.verification().verify(json, facts());
        } catch (AssignmentRefused e) {
            if (e.reason() != AssignmentRefused.Reason.ALREADY_INSTALLED) {
                listener.verification(AgentListener.Verified.ASSIGNMENT, "", false, e.getMessage());
                reportRefusal(json, e);
            }
            return Optional.empty();
        } catch (IOException e) {
            failed(false, "verifying the assignment: " + e.getMessage());
            throw e;
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // e.g. metadata that cannot be persisted: not the assignment's fault, try again later
            failed(false, "verifying the assignment: " + e);
            throw new IOException("verifying the assignment: " + e, e);
        }
        listener.verification(AgentListener.Verified.ASSIGNMENT, a.id(), true, a.target() + " " + a.version());
        if (a.withdrawn() || !recordSlot) {
            log.accept("assignment " + a.id() + (a.withdrawn() ? " is withdrawn" : ": " + a.target() + " version "
                    + a.version()) + " (counter " + a.counter() + ")");
            return Optional.of(a);
        }
        String slot = BootControl.other(parts.boot().activeSlot());
        parts.records().record(slot, a);
        log.accept("assignment " + a.id() + ": " + a.target() + " version " + a.version() + " (" + a.length()
                + " bytes) into slot " + slot + (a.forced() ? ", forced" : "") + (a.downloadOnly() ? ", download only" : "")
                + (a.installWindow() == null ? "" : ", install window " + a.installWindow().toJson()));
        return Optional.of(a);
    }

    /** Checks in and ignores the answer's assignment (the machine's check-in while reports are queued). */
    @Override
    public void heartbeat() throws IOException {
        checkIn();
    }

    /**
     * Checks in (also used as a heartbeat while an update is in progress).
     *
     * @return the assignment as sent, or null
     */
    public JsonNode checkIn() throws IOException {
        ObjectNode manifest;
        try {
            manifest = manifest();
        } catch (IOException e) {
            failed(true, "cannot build the manifest: " + e.getMessage());
            throw e;
        }
        try {
            ServerClient.CheckIn r = parts.client().checkIn(manifest);
            lastInterval = r.pollInterval();
            lastFailed = false;
            decommissioned = false;
            return r.assignment();
        } catch (IOException e) {
            decommissioned = e instanceof ServerClient.ServerRefusal refusal && refusal.decommissioned();
            failed(false, e.getMessage());
            throw e;
        }
    }

    private void failed(boolean local, String why) {
        lastFailed = true;
        lastLocal = local;
        lastError = why;
    }

    @Override
    public InputStream open(Assignment a, long offset) throws IOException {
        Metadata<Root> root = parts.updater().trusted() == null ? null : parts.updater().trusted().root();
        String path = a.target();
        if (root == null || root.signed().consistentSnapshot()) {
            int slash = path.lastIndexOf('/');
            path = path.substring(0, slash + 1) + a.sha256() + "." + path.substring(slash + 1);
        }
        List<URI> sources = new java.util.ArrayList<>();
        for (URI mirror : download.mirrors()) {
            sources.add(mirror.resolve(path));
        }
        sources.add(download.targetsUrl().resolve(path));
        MirroredDownload in = new MirroredDownload(sources, offset, a.length(), (url, from, last) -> {
            RangeDownload d = new RangeDownload(url, from, a.length(), last ? download.maxRetries() : MIRROR_RETRIES,
                    download.retryDelay(), download.timeout()).trusting(download.tls()).pausingOn(download.sleeper());
            if (parts.client().serves(url)) { // the server serves an image to the device assigned it; a mirror gets no token
                d.authorizing(parts.client()::bearer);
            }
            return d;
        }, log);
        return new Progress(in, a, offset);
    }

    /** The device's facts for the firmware policy. */
    public DeviceFacts facts() throws IOException {
        return new DeviceFacts(hardwareId, installed().map(SlotRecords.Image::version).orElse(factoryVersion),
                parts.counter().current());
    }

    private Optional<SlotRecords.Image> installed() throws IOException {
        return parts.records().of(parts.boot().activeSlot());
    }

    /**
     * The signed version manifest (docs/server.md): what the device runs, and its trust state (the trusted
     * root version, {@code trustedMetadataExpires}, and {@code metadataFrozenSince} while its metadata is stale).
     */
    public ObjectNode manifest() throws IOException {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("deviceId", parts.client().deviceId());
        Optional<SlotRecords.Image> img = installed();
        if (img.isPresent()) { // the factory image has no target name (the server refuses an empty one)
            m.put("installedTarget", img.get().target());
            m.putObject("hashes").put("sha256", img.get().sha256());
        }
        img.map(SlotRecords.Image::version).or(() -> java.util.Optional.ofNullable(factoryVersion))
                .ifPresent(v -> m.put("installedVersion", v));
        m.put("slot", parts.boot().activeSlot());
        slots(m.putObject("slots"));
        m.put("securityVersion", parts.counter().current());
        Metadata<Root> root = parts.updater().trusted() == null ? null : parts.updater().trusted().root();
        m.put("trustedRootVersion", root == null ? 1 : root.signed().version());
        trustedMetadataExpires().ifPresent(e -> m.put("trustedMetadataExpires", e.toString()));
        frozenSince.get().ifPresent(t -> m.put("metadataFrozenSince", t.toString()));
        m.put("agentVersion", AgentVersion.VALUE);
        m.put("hardwareId", hardwareId);
        m.put("bootState", parts.boot().trialState().upgradeAvailable() ? "trial" : "committed");
        HealthReport h = health.get();
        m.put("healthState", h.state().wire());
        var checks = m.putArray("healthChecks");
        h.checks().forEach(c -> checks.addObject().put("name", c.name()).put("ok", c.ok()).put("reasonCode", c.reasonCode()));
        m.put("droppedReports", droppedReports.getAsLong());
        return m;
    }

    /**
     * What each slot holds by the agent's records ({@link SlotRecords}): target and version of the image last
     * written (or being written) into it; a slot the agent never wrote (the factory image) is left out.
     */
    private void slots(ObjectNode out) throws IOException {
        for (String slot : SLOTS) {
            Optional<SlotRecords.Image> img = parts.records().of(slot);
            if (img.isPresent()) {
                out.putObject(slot).put("target", img.get().target()).put("version", img.get().version());
            }
        }
    }

    /**
     * The earliest expiry of the root and targets metadata the device trusts (the roles people re-sign;
     * snapshot and timestamp are re-signed by the server every day) as of the last refresh (made when an
     * assignment is verified); empty before the first.
     */
    private Optional<java.time.Instant> trustedMetadataExpires() {
        var trusted = parts.updater().trusted();
        if (trusted == null) {
            return Optional.empty();
        }
        java.time.Instant root = trusted.root().signed().expires();
        return Optional.of(trusted.targets("targets").map(t -> t.signed().expires())
                .filter(t -> t.isBefore(root)).orElse(root));
    }

    private void reportRefusal(JsonNode assignment, AssignmentRefused e) {
        String digest = Hex.encode(Digests.create("sha256").digest(CanonicalJson.encode(assignment))).substring(0, 16);
        ObjectNode d = JsonNodeFactory.instance.objectNode().put("state", "IDLE").put("reason", e.reason().name())
                .put("detail", e.getMessage());
        if (assignment.isObject()) {
            d.set("assignment", assignment);
        }
        try {
            parts.events().sendNow("refused-" + digest + "-" + e.reason().name().toLowerCase(), "failed", d);
        } catch (IOException unreachable) {
            log.accept("could not report the refusal: " + unreachable.getMessage());
        }
    }

    /** Reports progress every 10% of the image (best effort: a failed report never stops the download). */
    private final class Progress extends FilterInputStream {
        private final Assignment a;
        private long done;
        private long nextTenth;

        Progress(InputStream in, Assignment a, long offset) {
            super(in);
            this.a = a;
            this.done = offset;
            this.nextTenth = offset * 10 / a.length() + 1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                done += n;
                while (nextTenth <= 10 && done >= tenth(nextTenth)) {
                    report(tenth(nextTenth));
                    nextTenth++;
                }
            }
            return n;
        }

        /** The first byte count that is at least {@code k} tenths of the image. */
        private long tenth(long k) {
            return (k * a.length() + 9) / 10;
        }

        /** Reports that {@code at} bytes have arrived (at most {@link #done}: one read may pass several tenths). */
        private void report(long at) {
            long percent = dev.flotilla.agent.slots.Progress.percent(at, a.length());
            ObjectNode d = JsonNodeFactory.instance.objectNode().put("state", "DOWNLOADING").put("assignmentId", a.id())
                    .put("version", a.version()).put("done", at).put("total", a.length()).put("percent", percent);
            try {
                parts.events().sendNow("progress-" + a.id() + "-" + percent, "download_progress", d);
            } catch (IOException ignored) {
                // progress is informational; the queued transition events are what must arrive
            }
        }
    }
}
