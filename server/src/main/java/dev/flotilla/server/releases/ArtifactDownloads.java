package dev.flotilla.server.releases;

import dev.flotilla.server.artifacts.ArtifactSettings;
import dev.flotilla.server.artifacts.ArtifactStore;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Routes;
import io.javalin.http.Context;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers {@code GET|HEAD /tuf/targets/HASH.NAME}: finds the release, applies {@link ArtifactAccess} (unless
 * images are public), then, as configured, streams the image from the artifact store with ranges
 * ({@link RangeResponder}), or redirects (302) to a presigned URL of the object store valid for
 * {@link #PRESIGNED_TTL}, or to a mirror base URL plus the image's key. A redirect is never cached
 * ({@code Cache-Control: no-store}): a presigned URL expires, and the next request is checked again.
 */
public final class ArtifactDownloads {
    /** How long a presigned URL given out by a redirect stays valid. */
    public static final Duration PRESIGNED_TTL = Duration.ofMinutes(15);
    private static final Pattern TARGET = Pattern.compile("([0-9a-f]{64}|[0-9a-f]{128})\\.(.+)");

    private final ReleaseService releases;
    private final ArtifactStore store;
    private final ArtifactSettings settings;
    private final ArtifactAccess access;

    /** @param access who may download; null when images are public (mirrors and CDNs fetch them) */
    public ArtifactDownloads(ReleaseService releases, ArtifactStore store, ArtifactSettings settings,
                             ArtifactAccess access) {
        this.releases = releases;
        this.store = store;
        this.settings = settings;
        this.access = access;
    }

    /** Whether anyone may download (no {@link ArtifactAccess}). */
    public boolean open() {
        return access == null;
    }

    /**
     * Answers a request for target file {@code file} by {@code caller} (null when images are public).
     *
     * @throws DomainError.NotFound when no release has that hash and name (or its image's key is gone)
     * @throws DomainError.Forbidden when {@link ArtifactAccess} refuses the caller
     */
    public void send(Context ctx, String file, Routes.Caller caller) throws IOException {
        Matcher m = TARGET.matcher(file);
        if (!m.matches()) {
            throw new DomainError.NotFound("target");
        }
        Release r = releases.findByHashAndName(m.group(1), m.group(2))
                .orElseThrow(() -> new DomainError.NotFound("target"));
        if (access != null) {
            access.require(caller, r);
        }
        String key = releases.artifactKey(r.targetPath()).orElseThrow(() -> new DomainError.NotFound("target"));
        switch (settings.downloads()) {
            case SERVE -> RangeResponder.send(ctx, (first, count) -> store.open(key, first, count), r.length(),
                    r.sha256(), "application/octet-stream");
            case PRESIGNED -> redirect(ctx, store.downloadUrl(key, PRESIGNED_TTL)
                    .orElseThrow(() -> new IllegalStateException("the artifact store gives no download URLs")));
            case MIRROR -> redirect(ctx, mirrorUrl(settings.mirrorBase(), key));
        }
    }

    /** {@code base} (with or without a trailing slash) followed by {@code key}. */
    static URI mirrorUrl(URI base, String key) {
        String b = base.toString();
        return URI.create(b.endsWith("/") ? b + key : b + "/" + key);
    }

    private static void redirect(Context ctx, URI url) {
        ctx.header("Cache-Control", "no-store");
        ctx.redirect(url.toString(), io.javalin.http.HttpStatus.FOUND);
    }
}
