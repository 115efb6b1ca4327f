package dev.flotilla.server.releases;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

import java.util.List;
import java.util.function.Function;

/**
 * Releases: {@code POST /api/v1/releases/images} (the image bytes, streamed) then {@code POST
 * /api/v1/releases} with {@code {uploadId, path, targets}} (the signed targets metadata listing it);
 * {@code DELETE /api/v1/releases/{targetPath}} with {@code {targets}} (the next targets without it);
 * {@code GET /api/v1/releases} (a page of releases) and {@code GET /api/v1/releases/{targetPath}} (one, with what
 * the current targets metadata signs for it and the newest rollouts of it).
 */
public final class ReleaseRoutes {
    /** Largest release body: targets metadata with many thousands of entries exceeds the API's usual limit. */
    public static final int MAX_RELEASE_BODY = 32 * 1024 * 1024;
    /** How many rollouts (and deployments) of a release, newest first, {@code GET /api/v1/releases/{targetPath}} lists. */
    public static final int ROLLOUTS_SHOWN = 20;

    /**
     * The answer of {@code GET /api/v1/releases/{targetPath}}: the release's own fields (unwrapped: {@code targetPath},
     * {@code version}, {@code length}, {@code sha256}, {@code sha512}, {@code targetsVersion}, {@code createdAt}),
     * what the current targets metadata signs for it ({@link ReleaseDetails.Detail}) and its newest rollouts.
     */
    public record Shown(@JsonUnwrapped Release release, List<String> hardwareIds, Long securityVersion,
                        List<String> signedBy, List<?> rollouts) {
        static Shown of(ReleaseDetails.Detail d, List<?> rollouts) {
            return new Shown(d.release(), d.hardwareIds(), d.securityVersion(), d.signedBy(), rollouts);
        }
    }

    private ReleaseRoutes() {
    }

    /** Reads a metadata-carrying body of at most {@link #MAX_RELEASE_BODY} bytes; more is 413. */
    public static byte[] readCapped(java.io.InputStream in) throws java.io.IOException {
        byte[] bytes = in.readNBytes(MAX_RELEASE_BODY + 1);
        if (bytes.length > MAX_RELEASE_BODY) {
            throw new ApiException(413, "payload_too_large", "release body larger than " + MAX_RELEASE_BODY + " bytes");
        }
        return bytes;
    }

    /**
     * Registers the release routes. {@code rolloutsOf} gives the newest {@link #ROLLOUTS_SHOWN} rollouts and
     * deployments of a release as records the JSON mapper writes (the composition root passes the rollouts
     * service's, so that this package does not depend on rollouts).
     */
    public static void register(Routes routes, ImageUploads uploads, ReleaseService releases, ReleaseDeletion deletion,
                                ReleaseDetails details, Function<String, List<?>> rolloutsOf) {
        routes.operator(HandlerType.POST, "/api/v1/releases/images", Role.RELEASE_MANAGER, (ctx, op) -> {
            long declared = ctx.req().getContentLengthLong();
            ctx.status(201).json(uploads.receive(ctx.req().getInputStream(), declared, op.actor()));
        });
        routes.operator(HandlerType.POST, "/api/v1/releases", Role.RELEASE_MANAGER, (ctx, op) -> {
            JsonBody body = new JsonBody(CanonicalJson.parseObject(readCapped(ctx.req().getInputStream())));
            String uploadId = ImageUploads.requireUploadId(body.string("uploadId"));
            String path = body.string("path");
            JsonNode targets = body.required("targets");
            if (!targets.isObject()) {
                uploads.discard(uploadId);
                throw ApiException.invalid("targets must be a metadata object");
            }
            ctx.status(201).json(releases.publish(uploadId, path, CanonicalJson.mapper().writeValueAsBytes(targets),
                    op.actor()));
        });
        routes.operator(HandlerType.DELETE, "/api/v1/releases/{targetPath}", Role.RELEASE_MANAGER, (ctx, op) -> {
            byte[] raw = readCapped(ctx.req().getInputStream());
            JsonNode targets = raw.length == 0 ? null : CanonicalJson.parseObject(raw).get("targets");
            if (targets == null || !targets.isObject()) {
                throw ApiException.invalid("the body must be {\"targets\": METADATA}: the next targets version without "
                        + "this release, signed offline (flotilla release delete)");
            }
            ctx.json(deletion.delete(ctx.pathParam("targetPath"), CanonicalJson.mapper().writeValueAsBytes(targets),
                    op.actor()));
        });
        routes.operator(HandlerType.GET, "/api/v1/releases", Role.VIEWER,
                (ctx, op) -> ctx.json(releases.list(Page.Request.from(ctx))));
        routes.operator(HandlerType.GET, "/api/v1/releases/{targetPath}", Role.VIEWER, (ctx, op) -> {
            String path = ctx.pathParam("targetPath");
            ctx.json(Shown.of(details.get(path), rolloutsOf.apply(path)));
        });
    }
}
