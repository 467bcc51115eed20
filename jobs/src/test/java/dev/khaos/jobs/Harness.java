package dev.khaos.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;

/** Runs a job's pipeline on a MiniCluster over a fixed list of raw JSON lines. */
final class Harness {

    /**
     * A source of one vehicle's events inside the IoT job's zone, event time firstMs, firstMs + stepMs, ...
     * ({@code count} of them, paced by {@code rate}), on one subtask with the job's watermarks.
     */
    static DataStream<String> vehicles(StreamExecutionEnvironment env, String key, long firstMs, long stepMs, long count, RateLimiterStrategy rate, WatermarkStrategy<String> watermarks) {
        return env.fromSource(
                        new DataGeneratorSource<>(i -> IotVehiclesJobTest.vehicle(key, IotVehiclesJobTest.IN_LAT, IotVehiclesJobTest.IN_LON, 90, firstMs + i * stepMs), count, rate, Types.STRING),
                        watermarks, key)
                .setParallelism(1);
    }

    /**
     * The watermarks' probe: vehicle events counted per id in 1 s event-time windows without
     * allowed lateness, as JSON {@code {"key":..,"windowEnd":..,"count":..}}. A record behind the
     * watermark is dropped here, as by the jobs' windows (the audit counts it anyway).
     */
    static DataStream<String> secondWindows(DataStream<String> raw) {
        return WindowStats.aggregate(
                ParseEvents.parse(raw, IotVehiclesJob.VehicleEvent.class)
                        .keyBy(IotVehiclesJob.VehicleEvent::key, Types.STRING)
                        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1))),
                e -> 0,
                String.class,
                (key, windowEnd, stats) -> "{\"key\":\"" + key + "\",\"windowEnd\":" + windowEnd + ",\"count\":" + stats.count + "}");
    }

    /** What a job without an end emits on {@code stream} within {@code waitMs}; the job is then cancelled. */
    static List<JsonNode> collectFor(DataStream<String> stream, String jobName, long waitMs) throws Exception {
        List<JsonNode> collected = new CopyOnWriteArrayList<>();
        CloseableIterator<String> it = stream.executeAndCollect(jobName);
        Thread reader = new Thread(() -> {
            try {
                while (it.hasNext()) {
                    collected.add(Json.MAPPER.readTree(it.next()));
                }
            } catch (Exception closed) {
                // the iterator was closed: the job is cancelled
            }
        });
        reader.start();
        Thread.sleep(waitMs);
        it.close();
        reader.join(10_000);
        return collected;
    }

    static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }

    record Collected(List<JsonNode> main, List<JsonNode> audit) {}

    static Collected run(KafkaJob.Pipeline pipeline, List<String> lines) throws Exception {
        return run(pipeline, lines, new Configuration());
    }

    /** As {@link #run(KafkaJob.Pipeline, List)}, with job settings such as a restart strategy. */
    static Collected run(KafkaJob.Pipeline pipeline, List<String> lines, Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        return collect(pipeline, env.fromData(lines).assignTimestampsAndWatermarks(jobWatermarks()));
    }

    /**
     * As {@link #run(KafkaJob.Pipeline, List, Configuration)}, the lines paced at
     * {@code linesPerSecond} from a checkpointed source: event time then advances while records
     * flow (periodic watermarks fire between them), and a restart resumes after the last checkpoint.
     */
    static Collected runPaced(KafkaJob.Pipeline pipeline, List<String> lines, double linesPerSecond, Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        ArrayList<String> serializable = new ArrayList<>(lines);
        DataStream<String> raw = env.fromSource(
                        new DataGeneratorSource<>(i -> serializable.get(Math.toIntExact(i)), serializable.size(),
                                RateLimiterStrategy.perSecond(linesPerSecond), Types.STRING),
                        jobWatermarks(), "paced-lines")
                .setParallelism(1);
        return collect(pipeline, raw);
    }

    private static WatermarkStrategy<String> jobWatermarks() {
        return EventTime.watermarks(
                Duration.ofMillis(JobArgs.DEFAULT_OUT_OF_ORDERNESS_MS),
                Duration.ofMillis(JobArgs.DEFAULT_IDLENESS_MS));
    }

    private static Collected collect(KafkaJob.Pipeline pipeline, DataStream<String> raw) throws Exception {
        Outputs out = pipeline.build(raw);

        // One collect sink for both outputs, each line tagged with where it came from.
        DataStream<String> tagged = out.main().map(json -> "main " + json)
                .union(out.audit().map(json -> "audit " + json));
        List<JsonNode> main = new ArrayList<>();
        List<JsonNode> audit = new ArrayList<>();
        try (CloseableIterator<String> it = tagged.executeAndCollect("pipeline-under-test")) {
            while (it.hasNext()) {
                String[] line = it.next().split(" ", 2);
                (line[0].equals("main") ? main : audit).add(Json.MAPPER.readTree(line[1]));
            }
        }
        return new Collected(main, audit);
    }

    private Harness() {}
}
