package dev.flotilla.server.testing;

import dev.flotilla.core.tuf.client.DownloadError;
import dev.flotilla.core.tuf.client.Fetcher;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;

/** A TUF fetcher that sends a bearer token, as a device (or an operator) downloading images from the server. */
public final class BearerFetcher implements Fetcher {
    private final String token;

    public BearerFetcher(String token) {
        this.token = token;
    }

    @Override
    public InputStream open(URI uri) {
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setRequestProperty("Authorization", "Bearer " + token);
            int status = c.getResponseCode();
            if (status != 200) {
                throw new DownloadError(status == 403 || status == 404 ? DownloadError.Kind.NOT_FOUND
                        : DownloadError.Kind.HTTP_STATUS, uri + " answered " + status);
            }
            return c.getInputStream();
        } catch (IOException e) {
            throw new DownloadError(DownloadError.Kind.IO, "fetching " + uri + ": " + e.getMessage(), e);
        }
    }
}
