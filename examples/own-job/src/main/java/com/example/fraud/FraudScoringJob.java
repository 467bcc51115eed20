package com.example.fraud;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Payments fraud scoring: reads JSON payments {@code {paymentId, card, amount, ts}} from Kafka,
 * keys them by card, keeps each card's count and sum of the last {@code --window-minutes} in
 * keyed state, and writes every payment once, with its score, to an output topic through a
 * Kafka sink, exactly-once unless --delivery-guarantee says otherwise.
 *
 * <pre>
 *   --brokers HOST:PORT                Kafka bootstrap servers
 *   --payments-topic T                 input
 *   --scores-topic T                   output (one record per payment, key = card)
 *   --consumer-group G                 the source's consumer group (offsets committed on checkpoints)
 *   --transactional-id-prefix P        the sink's transactional id prefix (unique per running copy)
 *   --window-minutes N                 rolling window per card (default 10)
 *   --flag-threshold X                 score at or above which a payment is flagged (default 0.8)
 *   --delivery-guarantee G             exactly-once (default), at-least-once or none
 *   --checkpoint-interval-ms MS        used only when the cluster sets no interval (default 60000)
 * </pre>
 *
 * Checkpointing is always on (the exactly-once sink commits on checkpoints); the interval the
 * cluster or the submission sets wins over --checkpoint-interval-ms, so a tool that chooses the
 * interval (Khaos) can. The state backend is RocksDB: the keyed state grows with the number of
 * cards seen in a window, which in production is unbounded by memory, and RocksDB's incremental
 * checkpoints upload only what changed since the last one.
 */
public final class FraudScoringJob {

    /** Below the broker's default transaction.max.timeout.ms (15 min). */
    static final String TRANSACTION_TIMEOUT_MS = "600000";

    private FraudScoringJob() {}

    public static void main(String[] argv) throws Exception {
        ParameterTool p = ParameterTool.fromArgs(argv);
        String brokers = p.getRequired("brokers");
        String paymentsTopic = p.getRequired("payments-topic");
        String scoresTopic = p.getRequired("scores-topic");
        String group = p.getRequired("consumer-group");
        String txnPrefix = p.getRequired("transactional-id-prefix");
        Duration window = Duration.ofMinutes(p.getLong("window-minutes", 10));
        double threshold = p.getDouble("flag-threshold", 0.8);
        DeliveryGuarantee guarantee = DeliveryGuarantee.valueOf(p.get("delivery-guarantee", "exactly-once").toUpperCase().replace('-', '_'));

        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(p.getLong("checkpoint-interval-ms", 60_000));
        }

        env.fromSource(source(brokers, paymentsTopic, group), WatermarkStrategy.noWatermarks(), "payments-source")
                .uid("payments-source")
                .map(Payment::parse)
                .uid("parse")
                .name("parse")
                .keyBy(Payment::card)
                .process(new CardWindowScorer(window, threshold))
                .uid("score")
                .name("score")
                .sinkTo(sink(brokers, scoresTopic, txnPrefix, guarantee))
                .uid("scores-sink")
                .name("scores-sink");
        env.execute("fraud-scoring");
    }

    @SuppressWarnings("deprecation") // kafka-clients 4 deprecates OffsetResetStrategy; connector 5.0 still takes it
    static KafkaSource<String> source(String brokers, String topic, String group) {
        return KafkaSource.<String>builder()
                .setBootstrapServers(brokers)
                .setTopics(topic)
                .setGroupId(group)
                // Resume where the group left off (committed on checkpoints), else from the start.
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();
    }

    static KafkaSink<ScoredPayment> sink(String brokers, String topic, String txnPrefix, DeliveryGuarantee guarantee) {
        // The output record keeps the payment's timestamp (its Kafka time on the input), so an
        // output's timestamp against when it became visible is the payment's end-to-end latency.
        KafkaRecordSerializationSchema<ScoredPayment> serializer = (s, context, timestamp) -> new ProducerRecord<>(
                topic, null, timestamp, s.card().getBytes(StandardCharsets.UTF_8), s.toJson().getBytes(StandardCharsets.UTF_8));
        return KafkaSink.<ScoredPayment>builder()
                .setBootstrapServers(brokers)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(txnPrefix)
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                .build();
    }
}
