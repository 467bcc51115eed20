package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The task-exception marker: the parse operator throws on it at the attempt it names, and the
 * replay after the restart (attempt + 1) ignores it, so the job fails exactly once and its audit
 * output counts every event once and the marker never.
 */
class TaskExceptionMarkerTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = Harness.miniCluster();

    static final long T0 = IotVehiclesJobTest.T0;

    /** The marker first, then events all within 400 ms: no window fires before the input ends. */
    static List<String> input(int failAtAttempt) {
        return input("{\"id\":\"" + ParseEvents.FAIL_MARKER + "\",\"" + ParseEvents.FAIL_AT_ATTEMPT + "\":" + failAtAttempt + "}");
    }

    static List<String> input(String marker) {
        List<String> lines = new ArrayList<>();
        lines.add(marker);
        for (int i = 0; i < 40; i++) {
            lines.add(IotVehiclesJobTest.vehicle("v-" + (i % 4), IotVehiclesJobTest.IN_LAT, IotVehiclesJobTest.IN_LON, 90, T0 + i * 10));
        }
        return lines;
    }

    static Configuration restarts(int attempts) {
        Configuration conf = new Configuration();
        if (attempts == 0) {
            conf.setString("restart-strategy.type", "none");
        } else {
            conf.setString("restart-strategy.type", "fixed-delay");
            conf.setString("restart-strategy.fixed-delay.attempts", Integer.toString(attempts));
            conf.setString("restart-strategy.fixed-delay.delay", "10 ms");
            // Without checkpointing, the collect iterator throws "Job restarted" whenever it had
            // already synced with the failed attempt's sink (a race, lost on a busy machine).
            // With exactly-once checkpoints it rewinds to the last checkpoint instead.
            conf.setString("execution.checkpointing.interval", "100 ms");
        }
        return conf;
    }

    @Test
    void theMarkerFailsTheFirstAttempt() {
        Exception e = assertThrows(Exception.class, () -> Harness.run(IotVehiclesJob::pipeline, input(0), restarts(0)));
        assertTrue(ExceptionUtils.findThrowable(e, ParseEvents.InjectedTaskFailure.class).isPresent(), ExceptionUtils.stringifyException(e));
    }

    @Test
    void oneRestartAndTheReplayedMarkerIsIgnoredWithExactCounts() throws Exception {
        // One restart allowed: a second throw (a restart loop) would fail the job here.
        Harness.Collected out = Harness.run(IotVehiclesJob::pipeline, input(0), restarts(1));
        AuditAssertions.assertAudit(out.audit(), Map.of("v-0", 10L, "v-1", 10L, "v-2", 10L, "v-3", 10L));
    }

    @Test
    void aMarkerForAnotherReplicasGroupIsIgnored() throws Exception {
        String marker = "{\"id\":\"__fail__\",\"failAtAttempt\":0,\"groupId\":\"khaos-other-replica\"}";
        Harness.Collected out = Harness.run(IotVehiclesJob::pipeline, input(marker), restarts(0));
        AuditAssertions.assertAudit(out.audit(), Map.of("v-0", 10L, "v-1", 10L, "v-2", 10L, "v-3", 10L));
    }

    @Test
    void aMarkerForAnotherAttemptIsDroppedLikeAnyControlRecord() throws Exception {
        Harness.Collected out = Harness.run(IotVehiclesJob::pipeline, input(3), restarts(0));
        AuditAssertions.assertAudit(out.audit(), Map.of("v-0", 10L, "v-1", 10L, "v-2", 10L, "v-3", 10L));
    }
}
