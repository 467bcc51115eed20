package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

class SharedPiecesTest {

    @Test
    void eventTimeIsReadFromTopLevelTs() {
        assertEquals(42L, Json.eventTime("{\"id\":\"v\",\"nested\":{\"ts\":7},\"ts\":42}"));
        assertEquals(Json.NO_TIME, Json.eventTime("{\"id\":\"v\"}"));
        assertEquals(Json.NO_TIME, Json.eventTime("{\"ts\":\"soon\"}"));
        assertEquals(Json.NO_TIME, Json.eventTime("not json"));
        assertEquals(Json.NO_TIME, Json.eventTime(""));
    }

    @Test
    void latencySamplesKeepTheLastFiveSecondsAndAtMostCapacity() {
        LatencySamples s = new LatencySamples(5_000, 4);
        assertEquals(0, s.percentile(0, 0.99));
        assertEquals(0, s.mean(0));
        s.add(1_000, 999);           // falls out of the 5 s window at 10 000
        for (int i = 1; i <= 4; i++) {
            s.add(9_000, i * 10);    // four samples: capacity pushes out the first
        }
        assertEquals(40, s.percentile(9_000, 0.99));
        assertEquals(20, s.percentile(9_000, 0.50));
        assertEquals(25, s.mean(9_000));
        s.add(10_000, 100);
        assertEquals(100, s.percentile(10_000, 0.99));
        assertEquals(30, s.percentile(10_000, 0.50)); // 20, 30, 40, 100
        assertEquals(0, s.percentile(20_000, 0.99));  // all older than 5 s
    }

    @Test
    void kafkaKeyIsTheNamedField() {
        KafkaJob.JsonFieldKey key = new KafkaJob.JsonFieldKey("campaign");
        assertArrayEquals("c-017".getBytes(StandardCharsets.UTF_8),
                key.serialize("{\"campaign\":\"c-017\",\"count\":3}"));
        assertNull(key.serialize("{\"count\":3}"));
    }

    @Test
    void everyOperatorOfTheKafkaJobHasAUid() {
        for (KafkaJob.Pipeline pipeline : new KafkaJob.Pipeline[] {
            IotVehiclesJob::pipeline, YsbAdvertisingJob::pipeline, raw -> DedupJob.pipeline(raw, 60_000, 300, 0)
        }) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            KafkaJob.build(env, JobArgs.parse(JobArgsTest.FULL), "id", pipeline);
            Set<String> uids = new HashSet<>();
            for (StreamNode node : env.getStreamGraph().getStreamNodes()) {
                assertTrue(node.getTransformationUID() != null, "no uid: " + node.getOperatorName());
                uids.add(node.getTransformationUID());
            }
            assertTrue(uids.containsAll(Set.of(
                    "source", "parse", "latency", "sink", "audit-count", "audit-sink")), uids.toString());
        }
    }
}
