package dev.flotilla.server.artifacts;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Objects in S3-compatible object storage ({@code s3://BUCKET/PREFIX}) through the AWS SDK for Java v2 and its
 * blocking URL-connection HTTP client, path-style or virtual-host addressed. A put sends one PUT when the
 * image fits in a part, else a multipart upload of {@code partSize} parts (one part in memory at a time),
 * completed only after the last byte: S3 makes the object visible whole or not at all, and any failure aborts
 * the upload. Opening the store checks the bucket with the credentials, so that a wrong key or an unreachable
 * endpoint stops the server's start with one line.
 */
public final class S3ArtifactStore implements ArtifactStore {
    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;
    private final String prefix;
    private final int partSize;
    private final String where;

    private S3ArtifactStore(ArtifactSettings settings) {
        this.bucket = settings.location().getHost();
        String path = settings.location().getPath() == null ? "" : settings.location().getPath().replaceAll("^/+|/+$", "");
        this.prefix = path.isEmpty() ? "" : path + "/";
        this.partSize = settings.partSize();
        this.where = "s3://" + bucket + "/" + prefix + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(
                settings.credentials().accessKeyId(), settings.credentials().secretAccessKey()));
        Region region = Region.of(settings.region());
        var client = S3Client.builder().region(region).credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)))
                // S3-compatible stores do not all know the newer checksum headers: send them only where required
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        var signer = S3Presigner.builder().region(region).credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
        if (settings.endpoint() != null) {
            client.endpointOverride(settings.endpoint());
            signer.endpointOverride(settings.endpoint());
        }
        this.s3 = client.build();
        this.presigner = signer.build();
    }

    /**
     * Connects to the store and checks that the bucket exists and the credentials may use it.
     *
     * @throws ArtifactStoreException naming the problem (unreachable, access denied, no such bucket)
     */
    public static S3ArtifactStore open(ArtifactSettings settings) {
        S3ArtifactStore store = new S3ArtifactStore(settings);
        try {
            store.s3.headBucket(b -> b.bucket(store.bucket));
            return store;
        } catch (SdkException e) {
            store.close();
            throw store.failure("opening", null, e);
        }
    }

    /** A store for {@code settings} that has not checked the bucket (for offline presigning in tests). */
    static S3ArtifactStore unchecked(ArtifactSettings settings) {
        return new S3ArtifactStore(settings);
    }

    @Override
    public Stored put(String key, InputStream in, long maxBytes) {
        String object = object(key);
        HashingReader reader = new HashingReader(in, maxBytes);
        byte[] part = new byte[partSize];
        String uploadId = null;
        try {
            int n = reader.fill(part, 0, part.length);
            int len = Math.max(n, 0);
            if (len < part.length) {
                s3.putObject(p -> p.bucket(bucket).key(object).contentLength((long) len),
                        RequestBody.fromInputStream(new java.io.ByteArrayInputStream(part, 0, len), len));
                return reader.stored();
            }
            uploadId = s3.createMultipartUpload(c -> c.bucket(bucket).key(object)).uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            while (n > 0) {
                int number = parts.size() + 1;
                int size = n;
                String id = uploadId;
                String etag = s3.uploadPart(u -> u.bucket(bucket).key(object).uploadId(id).partNumber(number)
                                .contentLength((long) size),
                        RequestBody.fromInputStream(new java.io.ByteArrayInputStream(part, 0, size), size)).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                n = reader.fill(part, 0, part.length);
            }
            String id = uploadId;
            s3.completeMultipartUpload(c -> c.bucket(bucket).key(object).uploadId(id)
                    .multipartUpload(m -> m.parts(parts)));
            return reader.stored();
        } catch (SdkException e) {
            abort(object, uploadId);
            throw failure("storing", key, e);
        } catch (RuntimeException e) {
            abort(object, uploadId);
            throw e;
        }
    }

    /** Best effort: a failed abort leaves parts the bucket's lifecycle rule removes, never a visible object. */
    private void abort(String object, String uploadId) {
        try {
            if (uploadId != null) {
                s3.abortMultipartUpload(a -> a.bucket(bucket).key(object).uploadId(uploadId));
            }
        } catch (SdkException ignored) {
            // the store is unreachable: the incomplete upload holds no object
        }
    }

    @Override
    public InputStream open(String key, long first, long count) {
        if (count == 0) {
            return InputStream.nullInputStream();
        }
        try {
            return new BoundedInputStream(s3.getObject(g -> g.bucket(bucket).key(object(key))
                    .range("bytes=" + first + "-" + (first + count - 1))), count, key);
        } catch (SdkException e) {
            throw failure("reading", key, e);
        }
    }

    @Override
    public long size(String key) {
        try {
            return s3.headObject(h -> h.bucket(bucket).key(object(key))).contentLength();
        } catch (SdkException e) {
            throw failure("reading", key, e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            s3.deleteObject(d -> d.bucket(bucket).key(object(key)));
        } catch (SdkException e) {
            throw failure("deleting", key, e);
        }
    }

    @Override
    public Optional<URI> downloadUrl(String key, Duration ttl) {
        try {
            return Optional.of(presigner.presignGetObject(p -> p.signatureDuration(ttl)
                    .getObjectRequest(g -> g.bucket(bucket).key(object(key)))).url().toURI());
        } catch (URISyntaxException e) {
            throw new ArtifactStoreException("presigning " + key + " in " + where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public void close() {
        s3.close();
        presigner.close();
    }

    private String object(String key) {
        return prefix + ArtifactStore.requireKey(key);
    }

    /** One line for an operator: what failed, where, and the likely cause. */
    private ArtifactStoreException failure(String doing, String key, SdkException e) {
        String what = doing + (key == null ? " " : " " + key + " in ") + where + ": ";
        if (e instanceof S3Exception s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            String why = switch (s.statusCode()) {
                case 403 -> "access denied: the access key is wrong or may not use this bucket";
                case 404 -> "NoSuchKey".equals(code) || key != null && !"NoSuchBucket".equals(code)
                        ? "no such object" : "no such bucket";
                default -> "refused with HTTP " + s.statusCode();
            };
            return new ArtifactStoreException(what + why + (code == null ? "" : " (" + code + ")"), e);
        }
        if (e instanceof SdkClientException) {
            return new ArtifactStoreException(what + "the object store is unreachable: " + rootMessage(e), e);
        }
        return new ArtifactStoreException(what + rootMessage(e), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
