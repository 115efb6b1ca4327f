package dev.flotilla.server.trust;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.Routes;
import dev.flotilla.server.releases.ArtifactAccess;
import dev.flotilla.server.releases.ArtifactDownloads;
import dev.flotilla.server.releases.ReleaseRoutes;
import io.javalin.http.HandlerType;
import org.jdbi.v3.core.Jdbi;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trust management ({@code /api/v1/trust/...}: online keys, root upload, re-signed targets) and the read-only TUF repository, consistent-snapshot
 * style: {@code /tuf/metadata/N.root.json}, {@code root.json}, {@code timestamp.json},
 * {@code V.snapshot.json}, {@code V.targets.json} (open), and {@code /tuf/targets/HASH.NAME} (for operators and
 * the devices assigned the image, see {@link ArtifactAccess}; open with the server's {@code publicArtifacts};
 * served or redirected by {@link ArtifactDownloads}).
 */
public final class TufRoutes {
    private static final Pattern VERSIONED = Pattern.compile("([1-9]\\d{0,17})\\.(root|snapshot|targets)\\.json");

    private TufRoutes() {
    }

    /** @param downloads answers image downloads (and knows whether they are open to anyone) */
    public static void register(Routes routes, Jdbi jdbi, TufStore store, TrustService trust,
                                TargetsRefresh refresh, ArtifactDownloads downloads) {
        routes.operator(HandlerType.GET, "/api/v1/trust/online-keys", Role.VIEWER,
                (ctx, op) -> ctx.json(trust.onlineKeys()));
        routes.operator(HandlerType.PUT, "/api/v1/trust/root", Role.ADMIN,
                (ctx, op) -> ctx.json(trust.uploadRoot(ctx.bodyAsBytes(), op.actor())));
        routes.operator(HandlerType.PUT, "/api/v1/trust/targets", Role.RELEASE_MANAGER,
                (ctx, op) -> ctx.json(refresh.refresh(ReleaseRoutes.readCapped(ctx.req().getInputStream()), op.actor())));
        routes.open(HandlerType.GET, "/tuf/metadata/{file}", ctx -> {
            String file = ctx.pathParam("file");
            Optional<TufStore.Stored> found;
            Matcher m = VERSIONED.matcher(file);
            if (file.equals("timestamp.json") || file.equals("root.json")) {
                found = jdbi.withHandle(h -> store.latest(h, file.substring(0, file.indexOf('.'))));
                ctx.header("Cache-Control", "no-cache");
            } else if (m.matches()) {
                found = jdbi.withHandle(h -> store.get(h, m.group(2), Long.parseLong(m.group(1))));
                ctx.header("Cache-Control", "public, max-age=31536000, immutable");
            } else {
                found = Optional.empty();
            }
            TufStore.Stored s = found.orElseThrow(() -> ApiException.notFound("metadata file"));
            ctx.contentType("application/json").result(s.bytes());
        });
        for (HandlerType method : new HandlerType[] {HandlerType.GET, HandlerType.HEAD}) {
            if (downloads.open()) {
                routes.open(method, "/tuf/targets/{file}", ctx -> downloads.send(ctx, ctx.pathParam("file"), null));
            } else {
                routes.operatorOrDevice(method, "/tuf/targets/{file}",
                        (ctx, caller) -> downloads.send(ctx, ctx.pathParam("file"), caller));
            }
        }
    }
}
