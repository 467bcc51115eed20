package dev.khaos.jobs;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Stamps each window result with its end-to-end latency and serialises it, just before the main
 * sink (chained to it, so "now" here is the sink's wall-clock time).
 *
 * <p>End-to-end latency = sink wall-clock time − the window's end, the creation time of the latest
 * event the window could hold (event time is creation time): the Yahoo Streaming Benchmark's
 * definition. It includes the watermark wait (out-of-orderness bound, or the idleness timeout)
 * and all queueing and backlog before the sink, but not the exactly-once sink's commit delay: a
 * read_committed consumer sees the record only after the next checkpoint completes. Measuring
 * from the newest event in the window instead would add the gap between a key's last event and
 * the window end, which shrinks as load grows and so made latency fall with load.
 *
 * <p>Metrics on this operator's group: gauges {@code e2eLatencyP99Ms}, {@code e2eLatencyP50Ms},
 * {@code e2eLatencyMeanMs} over the samples of the last 5 s of wall time, at most the last
 * 10,000 (0 when there are none), and counter {@code e2eRecords}.
 */
public final class LatencyStage<T extends Timed> extends RichMapFunction<T, String> {

    static final long SAMPLE_WINDOW_MS = 5_000;
    static final int SAMPLE_CAPACITY = 10_000;

    private transient LatencySamples samples;
    private transient Counter records;

    public static <T extends Timed> DataStream<String> apply(DataStream<T> results) {
        return results.map(new LatencyStage<T>()).uid("latency").name("latency");
    }

    @Override
    public void open(OpenContext context) {
        samples = new LatencySamples(SAMPLE_WINDOW_MS, SAMPLE_CAPACITY);
        MetricGroup group = getRuntimeContext().getMetricGroup();
        group.gauge("e2eLatencyP99Ms", (Gauge<Long>) () -> samples.percentile(System.currentTimeMillis(), 0.99));
        group.gauge("e2eLatencyP50Ms", (Gauge<Long>) () -> samples.percentile(System.currentTimeMillis(), 0.50));
        group.gauge("e2eLatencyMeanMs", (Gauge<Long>) () -> samples.mean(System.currentTimeMillis()));
        records = group.counter("e2eRecords");
    }

    @Override
    public String map(T result) {
        long now = System.currentTimeMillis();
        long latency = now - result.windowEnd;
        result.latencyMs = latency;
        samples.add(now, latency);
        records.inc();
        return Json.write(result);
    }
}
