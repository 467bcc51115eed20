package dev.khaos.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON in and out, with Flink's own shaded Jackson: it is on every Flink classpath, so the job
 * jar need not carry (or clash with) another copy.
 */
public final class Json {

    /** Returned by {@link #eventTime} when a record has no usable {@code ts}. */
    public static final long NO_TIME = Long.MIN_VALUE;

    static final ObjectMapper MAPPER =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final JsonFactory FACTORY = MAPPER.getFactory();

    private Json() {}

    /** Reads a record into {@code type}; null for a JSON {@code null}. */
    static <T> T read(String json, Class<T> type) throws IOException {
        return MAPPER.readValue(json, type);
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The top-level {@code ts} field, or {@link #NO_TIME}. Streams the record instead of building
     * a tree: this runs on every record at the source, before the full parse.
     */
    public static long eventTime(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            return seek(p, "ts") && p.currentToken() == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : NO_TIME;
        } catch (IOException | RuntimeException e) {
            return NO_TIME;
        }
    }

    /** The top-level string field {@code name}, or null. */
    public static String textField(String json, String name) {
        try (JsonParser p = FACTORY.createParser(json)) {
            return seek(p, name) && p.currentToken() == JsonToken.VALUE_STRING ? p.getText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The top-level integer field {@code name}, or {@code dflt}. */
    public static long longField(String json, String name, long dflt) {
        try (JsonParser p = FACTORY.createParser(json)) {
            return seek(p, name) && p.currentToken() == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : dflt;
        } catch (IOException | RuntimeException e) {
            return dflt;
        }
    }

    /** Moves the parser onto the value of top-level field {@code name}; false if there is none. */
    private static boolean seek(JsonParser p, String name) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return false;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (name.equals(field)) {
                return true;
            }
            p.skipChildren();
        }
        return false;
    }
}
