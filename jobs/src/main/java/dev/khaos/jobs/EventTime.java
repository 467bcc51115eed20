package dev.khaos.jobs;

import java.time.Duration;

import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.eventtime.WatermarksWithIdleness;

/** Event time for raw JSON records: the same strategy at the Kafka source and in the tests. */
public final class EventTime {

    private EventTime() {}

    /**
     * Bounded out-of-orderness on the {@code ts} field. Applied on the raw string at the source,
     * so Kafka watermarks are tracked per partition; control records ("__flush__") pass through
     * here and so advance the watermark before the parser drops them. A record without a usable
     * {@code ts} gets the smallest timestamp, which never moves the watermark: letting a
     * malformed record's Kafka timestamp push it forward could make later valid records late.
     *
     * <p>Idleness (per partition: Kafka watermarks are per split) lets windows close while some
     * partitions receive nothing, which at low rates is most of the time; {@code idleness} zero
     * turns it off. Events are created with the current time as event time and written in order
     * per partition, so a record from a partition that was idle is late (and dropped by the
     * business windows, which allow no lateness) only when another partition has already
     * delivered records created more than {@code outOfOrderness} after it: on a loaded machine a
     * reader stalled past the idleness timeout does exactly that. Flink counts any drop in the
     * window operators' {@code numLateRecordsDropped}. The audit ({@link Audit}) does not use the
     * watermark, so it counts such records all the same.
     *
     * <p>That skew does happen before a partition's first record, so a partition becomes idle
     * only after its first record ({@link IdleOnlyAfterFirstRecord}). Measured (task-exception
     * integration test, 1 s idleness): the job's source subtasks started about 3.5 s before the
     * replay, so every partition was marked idle; when the records came, one subtask's first
     * ones reached a window subtask hundreds of milliseconds after another subtask's had moved
     * its watermark past their windows, and the first two 1 s windows lost 62 of 7,509 events.
     * Flink's {@link WatermarkStrategy#withIdleness} starts the idle clock at creation, so the
     * same holds after every restart (the generators are not checkpointed): a partition whose
     * consumer is slow to fetch its first batch would be idle while others catch up at full
     * speed. Here a partition holds the watermark back (as with idleness off) until it has
     * delivered one record: a partition that never receives one keeps windows open, which the
     * Khaos replayer never does (it writes to every partition, and its markers too).
     */
    public static WatermarkStrategy<String> watermarks(Duration outOfOrderness, Duration idleness) {
        WatermarkStrategy<String> strategy = idleness.isZero()
                ? WatermarkStrategy.forBoundedOutOfOrderness(outOfOrderness)
                : WatermarkStrategy.forGenerator(context -> new IdleOnlyAfterFirstRecord<>(
                        new WatermarksWithIdleness<>(
                                new BoundedOutOfOrdernessWatermarks<>(outOfOrderness),
                                idleness,
                                // Stands still while the source is backpressured, as withIdleness's.
                                context.getInputActivityClock())));
        return strategy.withTimestampAssigner((json, recordTs) -> Json.eventTime(json));
    }

    /**
     * Emits nothing (no watermark, no idleness) until the first record, then delegates: the
     * idleness timer of {@link WatermarksWithIdleness} first sees activity at that record, so
     * "idle" means "silent for the timeout since a record", never "has not started yet".
     */
    static final class IdleOnlyAfterFirstRecord<T> implements WatermarkGenerator<T> {
        private final WatermarkGenerator<T> delegate;
        private boolean started;

        IdleOnlyAfterFirstRecord(WatermarkGenerator<T> delegate) {
            this.delegate = delegate;
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            started = true;
            delegate.onEvent(event, eventTimestamp, output);
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (started) {
                delegate.onPeriodicEmit(output);
            }
        }
    }
}
