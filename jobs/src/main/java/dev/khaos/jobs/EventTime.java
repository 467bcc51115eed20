package dev.khaos.jobs;

import java.time.Duration;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;

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
     * turns it off. Records stay countable: events are created with the current time as event
     * time and written in order per partition, so a record from a partition that was idle is late
     * (and dropped by the windows, which allow no lateness) only when another partition has
     * already delivered records created more than {@code outOfOrderness} after it, a delivery
     * skew the catch-up after a restart does not produce (no partition is idle while it has a
     * backlog, and a backpressured source's idleness clock stands still). Flink counts any drop
     * in the window operators' {@code numLateRecordsDropped}, and the audit reconciliation
     * would show it as lost events.
     */
    public static WatermarkStrategy<String> watermarks(Duration outOfOrderness, Duration idleness) {
        WatermarkStrategy<String> strategy = WatermarkStrategy.<String>forBoundedOutOfOrderness(outOfOrderness)
                .withTimestampAssigner((json, recordTs) -> Json.eventTime(json));
        return idleness.isZero() ? strategy : strategy.withIdleness(idleness);
    }
}
