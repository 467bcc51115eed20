package dev.khaos.jobs;

import java.time.Duration;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

/**
 * The branch the control plane verifies exactly-once with: every real input event, before any
 * filter, counted per audit key (the primary id, see {@link Event#auditKey()}) in 1 s event-time windows. In the committed audit topic the
 * counts must sum, per key, to what the generator sent, and each (key, windowEnd) must appear
 * exactly once: a duplicate means a replayed, non-transactional write; a gap, a lost record.
 */
public final class Audit {

    static final Duration WINDOW = Duration.ofSeconds(1);

    private Audit() {}

    record AuditCount(String key, long windowEnd, long count) {}

    /** JSON {@code {"key":..,"windowEnd":..,"count":..}} per key and window. */
    public static <T extends Event> DataStream<String> branch(DataStream<T> events) {
        return WindowStats.aggregate(
                        events.keyBy(Event::auditKey, Types.STRING).window(TumblingEventTimeWindows.of(WINDOW)),
                        e -> 0,
                        String.class,
                        (key, windowEnd, stats) -> Json.write(new AuditCount(key, windowEnd, stats.count)))
                .uid("audit-window")
                .name("audit-window");
    }
}
