package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;

/** The checks the control plane makes on the audit topic (src/core/reconcile.ts). */
final class AuditAssertions {

    /** Each (key, seq) once; counts per key as expected; no control record. */
    static void assertAudit(List<JsonNode> audit, Map<String, Long> expectedPerKey) {
        Set<String> seen = new HashSet<>();
        Map<String, Long> perKey = new HashMap<>();
        for (JsonNode a : audit) {
            String key = a.get("key").asText();
            assertTrue(seen.add(key + "#" + a.get("seq").asLong()), "duplicate audit record " + a);
            assertFalse(key.startsWith("__"), "control record counted: " + a);
            perKey.merge(key, a.get("count").asLong(), Long::sum);
        }
        assertEquals(expectedPerKey, perKey);
    }

    private AuditAssertions() {}
}
