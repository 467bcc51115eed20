package dev.khaos.jobs;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The Kafka around a pipeline, shared by both jobs: source, watermarks, the two exactly-once
 * sinks. Sets no checkpointing, state backend, restart strategy or parallelism: the cluster
 * configuration owns those. Every operator gets a uid so a savepoint taken under one
 * configuration restores under another.
 */
public final class KafkaJob {

    /** Producer transaction timeout: below the broker's default transaction.max.timeout.ms (15 min). */
    static final String TRANSACTION_TIMEOUT_MS = "600000";

    /** A job's pipeline: raw JSON with timestamps and watermarks in, main and audit JSON out. */
    @FunctionalInterface
    public interface Pipeline {
        Outputs build(DataStream<String> raw);
    }

    private KafkaJob() {}

    /**
     * Parses {@code argv}, builds the job and runs it.
     *
     * @param mainKeyField the main output's JSON field used as the Kafka record key
     */
    static void run(String[] argv, String jobName, String mainKeyField, Pipeline pipeline) throws Exception {
        run(JobArgs.parse(argv), jobName, mainKeyField, pipeline);
    }

    /** As {@link #run(String[], String, String, Pipeline)}, with the arguments parsed (a job with options of its own). */
    static void run(JobArgs args, String jobName, String mainKeyField, Pipeline pipeline) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, args, mainKeyField, pipeline);
        env.execute(jobName);
    }

    static void build(StreamExecutionEnvironment env, JobArgs args, String mainKeyField, Pipeline pipeline) {
        // Shown in the web UI / REST job config, which helps when comparing replicas.
        env.getConfig().setGlobalJobParameters(ParameterTool.fromMap(Map.of(
                "input-topic", args.inputTopic(),
                "output-topic", args.outputTopic(),
                "audit-topic", args.auditTopic(),
                "group-id", args.groupId(),
                "txn-prefix", args.txnPrefix(),
                "job-options", args.options().toString())));

        DataStream<String> raw = env.fromSource(
                        source(args),
                        EventTime.watermarks(args.outOfOrderness(), args.idleness()),
                        "kafka-source")
                .uid("source");
        Outputs out = pipeline.build(raw);
        out.main()
                .sinkTo(sink(args, args.outputTopic(), args.txnPrefix() + "-out", mainKeyField))
                .uid("sink")
                .name("kafka-sink");
        out.audit()
                .sinkTo(sink(args, args.auditTopic(), args.txnPrefix() + "-audit", "key"))
                .uid("audit-sink")
                .name("audit-sink");
    }

    @SuppressWarnings("deprecation") // kafka-clients 4 deprecates OffsetResetStrategy; connector 5.0 still takes it
    static KafkaSource<String> source(JobArgs args) {
        return KafkaSource.<String>builder()
                .setBootstrapServers(args.bootstrap())
                .setTopics(args.inputTopic())
                .setGroupId(args.groupId())
                // Resume where the group left off (offsets are committed on checkpoint), else from the start.
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();
    }

    static KafkaSink<String> sink(JobArgs args, String topic, String transactionalIdPrefix, String keyField) {
        return KafkaSink.<String>builder()
                .setBootstrapServers(args.bootstrap())
                .setRecordSerializer(KafkaRecordSerializationSchema.<String>builder()
                        .setTopic(topic)
                        .setKeySerializationSchema(new JsonFieldKey(keyField))
                        .setValueSerializationSchema(new SimpleStringSchema())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                .build();
    }

    /**
     * Kafka key = one top-level string field of the JSON value, UTF-8. Re-reading the field keeps
     * the pipelines' contract plain JSON strings; outputs are per window, so the cost is small.
     */
    static final class JsonFieldKey implements SerializationSchema<String> {
        private final String field;

        JsonFieldKey(String field) {
            this.field = field;
        }

        @Override
        public byte[] serialize(String json) {
            String key = Json.textField(json, field);
            return key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        }
    }
}
