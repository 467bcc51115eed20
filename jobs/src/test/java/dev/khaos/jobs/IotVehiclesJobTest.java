package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class IotVehiclesJobTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = Harness.miniCluster();

    /** A multiple of the 5 s window size, so window ends are easy to state. */
    static final long T0 = 1_732_480_000_000L;

    static final double IN_LAT = 40.7512;
    static final double IN_LON = -73.9876;

    static String vehicle(String id, double lat, double lon, double speed, long ts) {
        return String.format(Locale.ROOT,
                "{\"id\":\"%s\",\"lat\":%.4f,\"lon\":%.4f,\"speed\":%.2f,\"ts\":%d}", id, lat, lon, speed, ts);
    }

    @Test
    void speedersOnlyWithSlidingAveragesAndAnExactAudit() throws Exception {
        List<String> lines = List.of(
                vehicle("v-speeder", IN_LAT, IN_LON, 90, T0 + 100),
                vehicle("v-mixed", IN_LAT, IN_LON, 60, T0 + 150),
                vehicle("v-slow", IN_LAT, IN_LON, 50, T0 + 200),
                vehicle("v-outside", 41.0, IN_LON, 120, T0 + 300),
                "this is not json",
                "{\"id\":\"v-no-ts\",\"lat\":40.75,\"lon\":-73.98,\"speed\":99}",
                vehicle("v-speeder", IN_LAT, IN_LON, 100, T0 + 1100),
                vehicle("v-mixed", IN_LAT, IN_LON, 110, T0 + 1150),
                vehicle("v-slow", IN_LAT, IN_LON, 55, T0 + 1200),
                vehicle("v-speeder", IN_LAT, IN_LON, 110, T0 + 2100),
                vehicle("__flush__", IN_LAT, IN_LON, 200, T0 + 20_000));

        Harness.Collected out = Harness.run(IotVehiclesJob::pipeline, lines);

        // (id, windowEnd - T0) -> {avgSpeed, count, maxTs - T0}. A 5 s window sliding by 1 s
        // holds an event in 5 windows; only windows averaging above 80 come out.
        Map<String, double[]> expected = new HashMap<>();
        expected.put("v-speeder@1000", new double[] {90, 1, 100});
        expected.put("v-speeder@2000", new double[] {95, 2, 1100});
        expected.put("v-speeder@3000", new double[] {100, 3, 2100});
        expected.put("v-speeder@4000", new double[] {100, 3, 2100});
        expected.put("v-speeder@5000", new double[] {100, 3, 2100});
        expected.put("v-speeder@6000", new double[] {105, 2, 2100});
        expected.put("v-speeder@7000", new double[] {110, 1, 2100});
        // v-mixed averages 60 alone (not a speeder), 85 with its second event, then 110.
        expected.put("v-mixed@2000", new double[] {85, 2, 1150});
        expected.put("v-mixed@3000", new double[] {85, 2, 1150});
        expected.put("v-mixed@4000", new double[] {85, 2, 1150});
        expected.put("v-mixed@5000", new double[] {85, 2, 1150});
        expected.put("v-mixed@6000", new double[] {110, 1, 1150});

        Map<String, JsonNode> actual = new HashMap<>();
        for (JsonNode w : out.main()) {
            JsonNode previous = actual.put(w.get("id").asText() + "@" + (w.get("windowEnd").asLong() - T0), w);
            assertEquals(null, previous, "duplicate window " + w);
            assertTrue(w.get("latencyMs").asLong() >= 0, "latency " + w);
        }
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, e) -> {
            JsonNode w = actual.get(k);
            assertEquals(e[0], w.get("avgSpeed").asDouble(), 1e-9, k);
            assertEquals((long) e[1], w.get("count").asLong(), k);
            assertEquals(T0 + (long) e[2], w.get("maxTs").asLong(), k);
        });

        AuditAssertions.assertAudit(out.audit(), Map.of(
                "v-speeder", 3L, "v-mixed", 2L, "v-slow", 2L, "v-outside", 1L));
    }

    @Test
    void areaOfInterestBoundsAreInclusive() {
        IotVehiclesJob.VehicleEvent e = new IotVehiclesJob.VehicleEvent();
        e.lat = IotVehiclesJob.MAX_LAT;
        e.lon = IotVehiclesJob.MIN_LON;
        assertTrue(IotVehiclesJob.inArea(e));
        e.lon = IotVehiclesJob.MIN_LON - 0.0001;
        assertEquals(false, IotVehiclesJob.inArea(e));
    }
}
