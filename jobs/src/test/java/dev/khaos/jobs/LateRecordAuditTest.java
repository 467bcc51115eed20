package dev.khaos.jobs;

import java.util.List;
import java.util.Map;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Records that reach the job after the watermark has passed their event time, as happens on a
 * loaded machine when a partition's reader stalls past the idleness timeout and then delivers
 * what it held: the business windows may drop them (event-time semantics, no allowed lateness),
 * the audit still counts each exactly once. Paced at 2 lines/s, so periodic watermarks (every 200 ms)
 * are emitted between lines and the late lines really arrive behind the watermark.
 */
class LateRecordAuditTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = Harness.miniCluster();

    static final long T0 = IotVehiclesJobTest.T0;

    static String at(String id, long offsetMs) {
        return IotVehiclesJobTest.vehicle(id, IotVehiclesJobTest.IN_LAT, IotVehiclesJobTest.IN_LON, 90, T0 + offsetMs);
    }

    @Test
    void recordsBehindTheWatermarkAreCountedOnce() throws Exception {
        List<String> lines = List.of(
                at("v-a", 100),
                at("v-b", 150),
                // Moves the watermark to T0 + 4.5 s: the first second's windows close.
                at("v-a", 5000),
                // Both late by more than the out-of-orderness: their 1 s window has fired.
                at("v-a", 200),
                at("v-b", 300),
                at("v-a", 5100),
                at("__flush__", 20_000));

        Harness.Collected out = Harness.runPaced(IotVehiclesJob::pipeline, lines, 2, new Configuration());

        AuditAssertions.assertAudit(out.audit(), Map.of("v-a", 4L, "v-b", 2L));
    }
}
