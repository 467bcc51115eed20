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
     */
    public static WatermarkStrategy<String> watermarks(Duration outOfOrderness, Duration idleness) {
        return WatermarkStrategy.<String>forBoundedOutOfOrderness(outOfOrderness)
                .withTimestampAssigner((json, recordTs) -> Json.eventTime(json))
                .withIdleness(idleness);
    }
}
