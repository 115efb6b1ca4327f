package dev.flotilla.server.artifacts;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where release images are kept and how devices get them.
 *
 * @param location    {@code s3://BUCKET[/PREFIX]} for S3-compatible object storage, or null for the data
 *                    directory (its {@code artifacts/})
 * @param endpoint    the object store's URL (e.g. {@code https://minio.example:9000}); null for AWS S3 itself
 * @param region      the signing region (default {@code us-east-1})
 * @param pathStyle   {@code https://HOST/BUCKET/KEY} instead of {@code https://BUCKET.HOST/KEY}
 * @param credentials the access key; null only without a location
 * @param downloads   how {@code /tuf/targets/} answers a permitted download
 * @param mirrorBase  with {@link Downloads#MIRROR}: the base URL that serves the store's keys
 *                    ({@code BASE/artifacts/...}), e.g. a CDN in front of the bucket
 * @param partSize    bytes per part of a multipart upload (at least 5 MiB); smaller images are one PUT
 */
public record ArtifactSettings(URI location, URI endpoint, String region, boolean pathStyle, Credentials credentials,
                               Downloads downloads, URI mirrorBase, int partSize) {
    /** The smallest part S3 accepts (but for the last). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    public static final int DEFAULT_PART_SIZE = 16 * 1024 * 1024;

    /** How a permitted download is answered. */
    public enum Downloads {
        /** The node streams the bytes itself, with ranges. */
        SERVE,
        /** 302 to a presigned URL of the object store, valid for a few minutes. */
        PRESIGNED,
        /** 302 to {@code mirrorBase} + the object's key. */
        MIRROR
    }

    /** An access key; {@link #toString()} never shows the secret. */
    public record Credentials(String accessKeyId, String secretAccessKey) {
        public Credentials {
            if (accessKeyId == null || accessKeyId.isBlank() || secretAccessKey == null || secretAccessKey.isBlank()) {
                throw new IllegalArgumentException("an access key needs both an id and a secret");
            }
        }

        @Override
        public String toString() {
            return "Credentials[" + accessKeyId + ", secret hidden]";
        }

        /** From AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; null when neither is set. */
        public static Credentials fromEnvironment(Map<String, String> env) {
            String id = env.get("AWS_ACCESS_KEY_ID");
            String secret = env.get("AWS_SECRET_ACCESS_KEY");
            if (id == null && secret == null) {
                return null;
            }
            if (id == null || secret == null) {
                throw new IllegalArgumentException("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither");
            }
            return new Credentials(id, secret);
        }

        /**
         * From a file of {@code name = value} lines, as the AWS credentials file has them
         * ({@code aws_access_key_id}, {@code aws_secret_access_key}; {@code [section]} lines and {@code #}
         * comments are skipped).
         */
        public static Credentials fromFile(Path file) {
            String id = null;
            String secret = null;
            try {
                for (String line : Files.readAllLines(file)) {
                    String l = line.strip();
                    int eq = l.indexOf('=');
                    if (l.startsWith("#") || l.startsWith(";") || l.startsWith("[") || eq < 0) {
                        continue;
                    }
                    String name = l.substring(0, eq).strip();
                    String value = l.substring(eq + 1).strip();
                    if (name.equalsIgnoreCase("aws_access_key_id")) {
                        id = value;
                    } else if (name.equalsIgnoreCase("aws_secret_access_key")) {
                        secret = value;
                    }
                }
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(file + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
            }
            if (id == null || secret == null) {
                throw new IllegalArgumentException(file + ": needs aws_access_key_id = ... and aws_secret_access_key = ...");
            }
            return new Credentials(id, secret);
        }
    }

    public ArtifactSettings {
        region = region == null || region.isBlank() ? "us-east-1" : region;
        downloads = downloads == null ? Downloads.SERVE : downloads;
        partSize = partSize == 0 ? DEFAULT_PART_SIZE : partSize;
        if (location != null) {
            if (!"s3".equals(location.getScheme()) || location.getHost() == null) {
                throw new IllegalArgumentException("the artifact store must be s3://BUCKET[/PREFIX], got " + location);
            }
            if (credentials == null) {
                throw new IllegalArgumentException("object storage needs credentials: set AWS_ACCESS_KEY_ID and "
                        + "AWS_SECRET_ACCESS_KEY, or give a credentials file");
            }
        }
        if (endpoint != null && (endpoint.getHost() == null
                || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())))) {
            throw new IllegalArgumentException("the object store endpoint must be an http(s) URL, got " + endpoint);
        }
        if (downloads == Downloads.PRESIGNED && location == null) {
            throw new IllegalArgumentException("presigned redirects need object storage (s3://...)");
        }
        if ((downloads == Downloads.MIRROR) != (mirrorBase != null)) {
            throw new IllegalArgumentException("a mirror redirect needs a base URL, and only it");
        }
        if (mirrorBase != null && (mirrorBase.getHost() == null
                || !("http".equals(mirrorBase.getScheme()) || "https".equals(mirrorBase.getScheme())))) {
            throw new IllegalArgumentException("the mirror base must be an http(s) URL, got " + mirrorBase);
        }
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("the part size must be at least " + MIN_PART_SIZE + " bytes (5 MiB)");
        }
    }

    /** The default: the data directory, served by the node. */
    public static ArtifactSettings local() {
        return new ArtifactSettings(null, null, null, false, null, Downloads.SERVE, null, 0);
    }

    /** Objects in {@code s3://BUCKET[/PREFIX]} with {@code credentials}, addressed virtual-host style. */
    public static ArtifactSettings s3(URI location, URI endpoint, String region, boolean pathStyle,
                                      Credentials credentials) {
        return new ArtifactSettings(location, endpoint, region, pathStyle, credentials, Downloads.SERVE, null, 0);
    }

    /** These settings answering downloads with {@code how} ({@code base} for {@link Downloads#MIRROR}). */
    public ArtifactSettings withDownloads(Downloads how, URI base) {
        return new ArtifactSettings(location, endpoint, region, pathStyle, credentials, how, base, partSize);
    }

    /** These settings with another multipart part size. */
    public ArtifactSettings withPartSize(int bytes) {
        return new ArtifactSettings(location, endpoint, region, pathStyle, credentials, downloads, mirrorBase, bytes);
    }

    /** The store these settings describe; objects of the local store live under {@code dataDir}. */
    public ArtifactStore open(Path dataDir) {
        return location == null ? new LocalArtifactStore(dataDir) : S3ArtifactStore.open(this);
    }
}
