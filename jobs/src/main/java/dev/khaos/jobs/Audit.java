package dev.khaos.jobs;

import java.time.Duration;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The branch the control plane verifies exactly-once with: every real input event, before any
 * filter, counted per audit key (the primary id, see {@link Event#auditKey()}). In the committed
 * audit topic the counts must sum, per key, to what the generator sent, and each (key, seq) must
 * appear exactly once: a repeat means a replayed, non-transactional write; a shortfall, a lost
 * record.
 *
 * <p>Counted in keyed state and emitted on processing-time timers, never by event-time windows.
 * The audit branch used 1 s event-time windows without allowed lateness, so its completeness
 * depended on the watermark: on a loaded machine a Kafka partition whose reader stalled for more
 * than the idleness timeout let the watermark pass records that were merely delayed, and the
 * windows dropped them (reported as lost events); after a restore, where Flink restarts the
 * watermark from nothing, such delayed records opened their already-fired window again and it
 * came out a second time (reported as a duplicate window). Here each record adds to its key's
 * pending count whatever the watermark does.
 *
 * <p>{@code seq} numbers a key's emissions 0, 1, 2, ... from keyed state: it is checkpointed with
 * the pending count, so a replay from a checkpoint re-emits the same (key, seq) identities. A
 * transactional sink commits one of them; a non-transactional one writes both, and the reconciler
 * sees the repeat even when the counts of the two emissions differ.
 */
public final class Audit {

    /** How often a key's pending count is emitted: on whole seconds of processing time. */
    static final Duration FLUSH = Duration.ofSeconds(1);

    private Audit() {}

    record AuditCount(String key, long seq, long count) {}

    /** JSON {@code {"key":..,"seq":..,"count":..}} per key and flush with events of that key. */
    public static <T extends Event> DataStream<String> branch(DataStream<T> events) {
        return events.keyBy(Event::auditKey, Types.STRING)
                .process(new CountPerKey<T>(), Types.STRING)
                .uid("audit-count")
                .name("audit-count");
    }

    static final class CountPerKey<T extends Event> extends KeyedProcessFunction<String, T, String> {
        /** Events counted since the key's last emission; null when none (and no timer is set). */
        private transient ValueState<Long> pending;
        /** The seq of the key's next emission; null before its first. */
        private transient ValueState<Long> nextSeq;

        @Override
        public void open(OpenContext context) {
            pending = getRuntimeContext().getState(new ValueStateDescriptor<>("pending", Types.LONG));
            nextSeq = getRuntimeContext().getState(new ValueStateDescriptor<>("next-seq", Types.LONG));
        }

        @Override
        public void processElement(T event, Context ctx, Collector<String> out) throws Exception {
            Long n = pending.value();
            if (n == null) {
                // Aligned to whole flush periods: keys share timer instants, so emissions come in batches.
                long now = ctx.timerService().currentProcessingTime();
                ctx.timerService().registerProcessingTimeTimer((now / FLUSH.toMillis() + 1) * FLUSH.toMillis());
                // Flink cancels pending processing-time timers when a bounded input ends, but it
                // then sends the final watermark: this timer emits what the last second counted.
                // An unbounded source never sends it; the key keeps one timer (deduplicated).
                ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
                n = 0L;
            }
            pending.update(n + 1);
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
            Long n = pending.value();
            if (n == null) {
                return;
            }
            Long seq = nextSeq.value();
            long s = seq == null ? 0 : seq;
            out.collect(Json.write(new AuditCount(ctx.getCurrentKey(), s, n)));
            nextSeq.update(s + 1);
            pending.clear();
        }
    }
}
