package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the device listing filters on and the dashboard counts, read from a verified manifest's
 * {@code signed} part and stored beside it in indexed columns of {@code device_manifests}. A field the
 * manifest lacks (or has with another type) is null.
 */
public record ManifestFacts(String installedTarget, String healthState, Long securityVersion,
                            Long trustedRootVersion) {
    /** The facts of a manifest's {@code signed} part. */
    public static ManifestFacts of(JsonNode signed) {
        return new ManifestFacts(text(signed, "installedTarget", 255), text(signed, "healthState", 64),
                number(signed, "securityVersion"), number(signed, "trustedRootVersion"));
    }

    private static String text(JsonNode signed, String field, int max) {
        JsonNode v = signed.path(field);
        return v.isTextual() && v.textValue().length() <= max ? v.textValue() : null;
    }

    private static Long number(JsonNode signed, String field) {
        JsonNode v = signed.path(field);
        return v.canConvertToLong() && v.isIntegralNumber() ? v.longValue() : null;
    }
}
