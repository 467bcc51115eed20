package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Windows close at a very low rate while one input stays silent, as a Kafka partition does when
 * the load is a few events per second: 2 events/s on one source, one event then silence on the
 * other. With the default idleness the silent input stops holding the watermark back; without
 * idleness no window closes while the job runs.
 */
class IdlenessTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = Harness.miniCluster();

    static final long T0 = IotVehiclesJobTest.T0;

    /** The 1 s windows (Harness.secondWindows) that close within {@code waitMs} of wall time; the job is cancelled then. */
    static List<JsonNode> windowsWithin(Duration idleness, long waitMs) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        Duration ooo = Duration.ofMillis(JobArgs.DEFAULT_OUT_OF_ORDERNESS_MS);
        // 2 events/s, event time advancing with wall time: v-live at T0 + 100, T0 + 600, ...
        DataStream<String> live = Harness.vehicles(env, "v-live", T0 + 100, 500, 10_000, RateLimiterStrategy.perSecond(2), EventTime.watermarks(ooo, idleness));
        // One event at once, the next after 1000 s: a partition that went quiet.
        DataStream<String> quiet = Harness.vehicles(env, "v-quiet", T0 + 50, 1_000_000, 10, RateLimiterStrategy.perSecond(0.001), EventTime.watermarks(ooo, idleness));
        return Harness.collectFor(Harness.secondWindows(live.union(quiet)), "idleness-under-test", waitMs);
    }

    @Test
    void windowsCloseAtAVeryLowRateWithOneInputIdle() throws Exception {
        List<JsonNode> windows = windowsWithin(Duration.ofMillis(JobArgs.DEFAULT_IDLENESS_MS), 6_000);
        // The first second's window holds v-quiet's only event and v-live's first two; it closes
        // once v-live reaches T0 + 1.5 s and v-quiet has been idle for a second.
        JsonNode first = windows.stream()
                .filter(a -> a.get("windowEnd").asLong() == T0 + 1000 && a.get("key").asText().equals("v-quiet"))
                .findFirst().orElseThrow(() -> new AssertionError("the first window did not close: " + windows));
        assertEquals(1, first.get("count").asLong());
        assertTrue(windows.stream().anyMatch(a -> a.get("windowEnd").asLong() >= T0 + 3000), "later windows close too: " + windows);
    }

    @Test
    void withoutIdlenessTheQuietInputHoldsEveryWindowOpen() throws Exception {
        assertEquals(List.of(), windowsWithin(Duration.ZERO, 4_000));
    }
}
