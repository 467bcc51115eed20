package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The audit's counting operator alone, with processing time and checkpoints under the test's
 * control: what it emits does not depend on the watermark, and a replay from a checkpoint repeats
 * the (key, seq) identities the failed attempt emitted, so a non-transactional sink that wrote
 * both shows up as a duplicate in the reconciliation.
 */
class AuditReplayTest {

    static final long T0 = IotVehiclesJobTest.T0;

    static IotVehiclesJob.VehicleEvent event(String id, long ts) {
        IotVehiclesJob.VehicleEvent e = new IotVehiclesJob.VehicleEvent();
        e.id = id;
        e.ts = ts;
        return e;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, IotVehiclesJob.VehicleEvent, String> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new Audit.CountPerKey<IotVehiclesJob.VehicleEvent>()), Event::auditKey, Types.STRING);
    }

    /** The audit records emitted since the last call, as "key#seq=count", and clears them. */
    static List<String> drain(KeyedOneInputStreamOperatorTestHarness<String, IotVehiclesJob.VehicleEvent, String> h) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        for (String json : h.extractOutputValues()) {
            JsonNode a = Json.MAPPER.readTree(json);
            out.add(a.get("key").asText() + "#" + a.get("seq").asLong() + "=" + a.get("count").asLong());
        }
        h.getOutput().clear();
        return out;
    }

    @Test
    void countsEveryRecordWhateverTheWatermarkAndAReplayRepeatsItsIdentities() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(100);
            h.processElement(event("v-a", T0 + 100), T0 + 100);
            h.processElement(event("v-a", T0 + 200), T0 + 200);
            h.setProcessingTime(1000);
            assertEquals(List.of("v-a#0=2"), drain(h));

            // Far behind the watermark: still counted, in the next emission.
            h.processWatermark(new Watermark(T0 + 60_000));
            h.processElement(event("v-a", T0 + 300), T0 + 300);
            checkpoint = h.snapshot(1, 1500);
            h.setProcessingTime(2000);
            assertEquals(List.of("v-a#1=1"), drain(h));

            // The attempt then fails after writing v-a#1 (and, say, one more record).
            h.processElement(event("v-a", T0 + 61_000), T0 + 61_000);
            h.setProcessingTime(3000);
            assertEquals(List.of("v-a#2=1"), drain(h));
        }

        try (var h = harness()) {
            h.initializeState(checkpoint);
            h.open();
            // The restored timer fires at once: the pending record's emission keeps its seq.
            h.setProcessingTime(2000);
            assertEquals(List.of("v-a#1=1"), drain(h));
            // The replay may group records differently; the identities still come again.
            h.processElement(event("v-a", T0 + 61_000), T0 + 61_000);
            h.processElement(event("v-b", T0 + 61_000), T0 + 61_000);
            h.setProcessingTime(3000);
            assertEquals(List.of("v-a#2=1", "v-b#0=1"), drain(h).stream().sorted().toList());
        }
    }

    @Test
    void theFinalWatermarkOfABoundedInputEmitsWhatIsPending() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(100);
            h.processElement(event("v-a", T0 + 100), T0 + 100);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertEquals(List.of("v-a#0=1"), drain(h));
            // Nothing pending: the processing-time timer finds nothing to emit.
            h.setProcessingTime(1000);
            assertEquals(List.of(), drain(h));
        }
    }
}
