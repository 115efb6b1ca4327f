package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The attributes of a device that the listing can filter on ({@code attribute=NAME=VALUE}): the top-level
 * attributes whose value is a string, number or boolean, as text ({@code 42}, {@code true}), with a name of at
 * most 200 and a value of at most 1,000 characters. Objects, arrays, nulls and longer ones are kept in the
 * device's attributes but cannot be filtered on. Stored in {@code device_attributes}.
 */
public final class DeviceAttributes {
    static final int MAX_NAME = 200;
    static final int MAX_VALUE = 1000;

    private DeviceAttributes() {
    }

    /** The filterable attributes of an attributes object, by name. */
    public static Map<String, String> indexed(JsonNode attributes) {
        Map<String, String> out = new LinkedHashMap<>();
        if (attributes == null || !attributes.isObject()) {
            return out;
        }
        attributes.properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (e.getKey().length() <= MAX_NAME && v.isValueNode() && !v.isNull() && !v.isBinary()) {
                String text = v.asText();
                if (text.length() <= MAX_VALUE) {
                    out.put(e.getKey(), text);
                }
            }
        });
        return out;
    }
}
