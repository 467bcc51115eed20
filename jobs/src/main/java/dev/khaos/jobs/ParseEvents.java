package dev.khaos.jobs;

import java.io.IOException;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.Collector;

/**
 * Raw JSON to events. Drops, and counts in {@code malformedRecords}, what does not parse or lacks
 * its id or {@code ts}; drops control records silently, so no downstream branch ever sees them.
 */
public final class ParseEvents<T extends Event> extends RichFlatMapFunction<String, T>
        implements ResultTypeQueryable<T> {

    static final String CONTROL_PREFIX = "__";

    private final Class<T> type;
    private transient Counter malformed;

    private ParseEvents(Class<T> type) {
        this.type = type;
    }

    public static <T extends Event> DataStream<T> parse(DataStream<String> raw, Class<T> type) {
        return raw.flatMap(new ParseEvents<>(type)).uid("parse").name("parse");
    }

    @Override
    public void open(OpenContext context) {
        malformed = getRuntimeContext().getMetricGroup().counter("malformedRecords");
    }

    @Override
    public void flatMap(String json, Collector<T> out) {
        T event;
        try {
            event = Json.read(json, type);
        } catch (IOException | RuntimeException e) {
            malformed.inc();
            return;
        }
        if (event == null || event.key() == null || event.ts() <= 0) {
            malformed.inc();
        } else if (!event.key().startsWith(CONTROL_PREFIX)) {
            out.collect(event);
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(type);
    }
}
