package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The loss the task-exception integration test found, 15 s before its failure: at start-up the
 * job's sources wait for the replay longer than the idleness timeout, so every partition is
 * marked idle; when records come, one source's first records reach a window after another
 * source has moved the watermark past them, and the windows drop them as late. Here one source
 * runs at 10 events/s with event time advancing with wall time, and the other delivers 10
 * events of the first second only after 3 s (a consumer slow to fetch its first batch; its task
 * is not blocked, so its idleness clock runs).
 */
class LateFirstRecordTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = Harness.miniCluster();

    static final long T0 = IotVehiclesJobTest.T0;
    static final long FIRST_WINDOW_END = T0 + 1000;
    static final Duration OOO = Duration.ofMillis(JobArgs.DEFAULT_OUT_OF_ORDERNESS_MS);
    static final Duration IDLENESS = Duration.ofMillis(JobArgs.DEFAULT_IDLENESS_MS);

    /** Completes every acquire {@code delayMs} after the first one, then at once. */
    @SuppressWarnings("rawtypes")
    static final class StartAfter implements RateLimiter {
        private final long delayMs;
        private CompletableFuture<Void> start;

        StartAfter(long delayMs) {
            this.delayMs = delayMs;
        }

        @Override
        public CompletionStage<Void> acquire(int requestSize) {
            if (start == null) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS).execute(() -> f.complete(null));
                start = f;
            }
            return start;
        }
    }

    /** The 1 s windows (Harness.secondWindows) that close within {@code waitMs} of wall time; the job is cancelled then. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static List<JsonNode> windowsWithin(WatermarkStrategy<String> watermarks, long waitMs) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<String> live = Harness.vehicles(env, "v-live", T0 + 100, 100, 10_000, RateLimiterStrategy.perSecond(10), watermarks);
        RateLimiterStrategy lateStart = parallelism -> new StartAfter(3000);
        DataStream<String> late = Harness.vehicles(env, "v-late", T0 + 100, 80, 10, lateStart, watermarks);
        return Harness.collectFor(Harness.secondWindows(live.union(late)), "late-first-record-under-test", waitMs);
    }

    static long count(List<JsonNode> windows, String key, long windowEnd) {
        return windows.stream()
                .filter(a -> a.get("windowEnd").asLong() == windowEnd && a.get("key").asText().equals(key))
                .mapToLong(a -> a.get("count").asLong())
                .sum();
    }

    @Test
    void aSourceWhoseFirstRecordsComeLateLosesNoneOfThem() throws Exception {
        List<JsonNode> windows = windowsWithin(EventTime.watermarks(OOO, IDLENESS), 7_000);
        assertEquals(10, count(windows, "v-late", FIRST_WINDOW_END), "v-late's first window: " + windows);
        assertEquals(9, count(windows, "v-live", FIRST_WINDOW_END), "v-live's first window: " + windows);
        assertTrue(windows.stream().anyMatch(a -> a.get("windowEnd").asLong() >= T0 + 3000), "later windows close too: " + windows);
    }

    /** Flink's own withIdleness, which the jobs used before: the late records are dropped. */
    @Test
    void withFlinksIdlenessTheLateSourcesFirstRecordsAreDropped() throws Exception {
        WatermarkStrategy<String> flinks = WatermarkStrategy.<String>forBoundedOutOfOrderness(OOO)
                .withTimestampAssigner((json, recordTs) -> Json.eventTime(json))
                .withIdleness(IDLENESS);
        List<JsonNode> windows = windowsWithin(flinks, 7_000);
        assertEquals(0, count(windows, "v-late", FIRST_WINDOW_END), "v-late's first window: " + windows);
        assertEquals(9, count(windows, "v-live", FIRST_WINDOW_END), "v-live's first window: " + windows);
    }
}
