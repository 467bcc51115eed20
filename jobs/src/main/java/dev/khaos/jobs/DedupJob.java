package dev.khaos.jobs;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Deduplication over a long retention: a click stream whose producers retry, so a share of click
 * ids arrive more than once → per click id, the first occurrence only → Kafka.
 *
 * <p>Why this job: it is the state-heavy pipeline people run most (exactly-once ingestion in front
 * of billing or analytics), and its state is simple to reason about: one entry per distinct id
 * seen within the retention, so it grows with rate × retention (20,000 ev/s × 60 s × ~300 B of
 * payload ≈ 360 MB) and every event costs a RocksDB read, most a write too. Sessionization and a
 * large-table join also hold large state, but their size depends on user behaviour (session gaps,
 * table size) rather than on the load alone, which is what the checkpoint interval trades against.
 *
 * <p>State, per id: the first occurrence's retained attributes, {@code --state-payload-bytes}
 * of them (default 300), in RocksDB (the cluster's state backend, incremental checkpoints), and
 * one event-time timer at first-seen + {@code --retention-ms} (default 60,000) that clears it.
 * Event time, not processing time (nor Flink's state TTL, which is processing time only): expiry
 * then depends on the input alone, so the replay after a failure makes the same decisions as the
 * first run and the output holds each id exactly once however long the outage; with processing
 * time, timers overdue after a long outage fire on restore and a retried click replayed after
 * them would come out a second time. The payload is pseudo-random (seeded by the id): RocksDB
 * compresses its blocks, and zeros would make the state, and so the checkpoints, unrealistically
 * small. With {@code --state-attributes N} (default 0: one byte array) the same bytes are kept as a
 * map of N named string attributes, as a job that keeps the parsed record does: each snapshot of
 * the heap state backend then serializes every string of every entry, so a checkpoint costs CPU in
 * proportion to the state (measured: docs/profile.md, "Where a short interval costs").
 *
 * <p>Input {@code {"id":"c-3f9a1c-000000042","user":"u-0042","ts":1732480000123}}: a retry has
 * the same id and user and its own send time as {@code ts}. Output, per id and retention, the
 * first occurrence {@code {"id":..,"user":..,"windowEnd":ts,"count":1,"maxTs":ts,"latencyMs":..}}:
 * a record-at-a-time result, so its "window" ends at its own event's creation time and latency
 * is the sink's wall-clock time minus {@code ts}. The audit branch counts by {@code user} (a
 * bounded set), not by id: one audit record per id and second would double the output.
 */
public final class DedupJob {

    public static final String JOB_NAME = "khaos-dedup";

    static final String RETENTION_MS = "retention-ms";
    static final String STATE_PAYLOAD_BYTES = "state-payload-bytes";
    static final String STATE_ATTRIBUTES = "state-attributes";
    /** The job's own options and their defaults. */
    static final Map<String, Long> OPTIONS = Map.of(RETENTION_MS, 60_000L, STATE_PAYLOAD_BYTES, 300L, STATE_ATTRIBUTES, 0L);

    private DedupJob() {}

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv, OPTIONS);
        long retentionMs = args.options().get(RETENTION_MS);
        int payloadBytes = Math.toIntExact(args.options().get(STATE_PAYLOAD_BYTES));
        int attributes = Math.toIntExact(args.options().get(STATE_ATTRIBUTES));
        KafkaJob.run(args, JOB_NAME, "id", raw -> pipeline(raw, retentionMs, payloadBytes, attributes));
    }

    /** The job without Kafka: raw JSON (timestamps and watermarks assigned) to main and audit JSON. */
    public static Outputs pipeline(DataStream<String> raw, long retentionMs, int payloadBytes, int attributes) {
        DataStream<Click> clicks = ParseEvents.parse(raw, Click.class);
        DataStream<FirstClick> first = clicks
                .keyBy(Click::key, Types.STRING)
                .process(new FirstOccurrence(retentionMs, payloadBytes, attributes), TypeInformation.of(FirstClick.class))
                .uid("dedup")
                .name("dedup");
        return new Outputs(LatencyStage.apply(first), Audit.branch(clicks));
    }

    /**
     * Emits a click id's first occurrence and remembers the id until its retention ends. Metrics:
     * counters {@code firstOccurrences} and {@code duplicatesDropped}.
     */
    static final class FirstOccurrence extends KeyedProcessFunction<String, Click, FirstClick> {
        private final long retentionMs;
        private final int payloadBytes;
        private final int attributes;
        /** The payload as bytes (attributes 0) or as named attributes: one of the two is used. */
        private transient ValueState<byte[]> seen;
        private transient ValueState<Map<String, String>> seenAttributes;
        /** Whichever of the two is used. */
        private transient ValueState<?> remembered;
        private transient Counter firsts;
        private transient Counter duplicates;

        FirstOccurrence(long retentionMs, int payloadBytes, int attributes) {
            this.retentionMs = retentionMs;
            this.payloadBytes = payloadBytes;
            this.attributes = attributes;
        }

        @Override
        public void open(OpenContext context) {
            if (attributes == 0) {
                seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            } else {
                seenAttributes = getRuntimeContext().getState(new ValueStateDescriptor<>("seen-attributes", Types.MAP(Types.STRING, Types.STRING)));
            }
            remembered = attributes == 0 ? seen : seenAttributes;
            firsts = getRuntimeContext().getMetricGroup().counter("firstOccurrences");
            duplicates = getRuntimeContext().getMetricGroup().counter("duplicatesDropped");
        }

        @Override
        public void processElement(Click click, Context ctx, Collector<FirstClick> out) throws Exception {
            if (remembered.value() != null) {
                duplicates.inc();
                return;
            }
            if (attributes == 0) {
                seen.update(payload(click.id, payloadBytes));
            } else {
                seenAttributes.update(attributes(click.id, payloadBytes, attributes));
            }
            ctx.timerService().registerEventTimeTimer(click.ts + retentionMs);
            firsts.inc();
            out.collect(new FirstClick(click));
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<FirstClick> out) {
            remembered.clear();
        }

        static byte[] payload(String id, int bytes) {
            byte[] b = new byte[bytes];
            new SplittableRandom(id.hashCode()).nextBytes(b);
            return b;
        }

        /** {@code bytes} pseudo-random letters (seeded by the id) as {@code n} attributes a0…a(n-1). */
        static Map<String, String> attributes(String id, int bytes, int n) {
            SplittableRandom random = new SplittableRandom(id.hashCode());
            Map<String, String> m = new HashMap<>(2 * n);
            for (int i = 0; i < n; i++) {
                char[] v = new char[bytes / n + (i < bytes % n ? 1 : 0)];
                for (int j = 0; j < v.length; j++) v[j] = (char) ('a' + random.nextInt(26));
                m.put("a" + i, new String(v));
            }
            return m;
        }
    }

    /** One input record. */
    public static class Click implements Event {
        public String id;
        public String user;
        public long ts;

        @Override
        public String key() {
            return id;
        }

        @Override
        public String auditKey() {
            return user;
        }

        @Override
        public long ts() {
            return ts;
        }
    }

    /** The output record for a click id's first occurrence; the latency stage sets latencyMs. */
    public static class FirstClick extends Timed {
        public String id;
        public String user;

        public FirstClick() {}

        FirstClick(Click click) {
            super(click.ts, 1, click.ts);
            this.id = click.id;
            this.user = click.user;
        }
    }
}
