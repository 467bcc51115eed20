package dev.khaos.jobs;

import java.io.Serializable;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.datastream.WindowedStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Everything the windows here need of their events: how many, the sum of one measure, and the
 * newest event time (the latency stage measures from it). Pre-aggregated incrementally, so a
 * window's state is one of these per key instead of its events.
 */
public class WindowStats {
    public long count;
    public double sum;
    public long maxTs = Long.MIN_VALUE;

    public double mean() {
        return count == 0 ? 0 : sum / count;
    }

    /** The per-event number a window sums (vehicle speed); {@code e -> 0} to only count. */
    public interface Measure<T> extends Serializable {
        double of(T event);
    }

    /** Builds a window's output record from its key, end and stats. */
    public interface Emitter<R> extends Serializable {
        R emit(String key, long windowEnd, WindowStats stats);
    }

    /** Aggregates each window of {@code windowed} and emits one {@code R} per key and window. */
    public static <T extends Event, R> SingleOutputStreamOperator<R> aggregate(
            WindowedStream<T, String, TimeWindow> windowed, Measure<T> measure, Class<R> type, Emitter<R> emitter) {
        return windowed.aggregate(
                new Aggregate<>(measure),
                new Emit<>(emitter),
                TypeInformation.of(WindowStats.class),
                TypeInformation.of(WindowStats.class),
                TypeInformation.of(type));
    }

    static final class Aggregate<T extends Event> implements AggregateFunction<T, WindowStats, WindowStats> {
        private final Measure<T> measure;

        Aggregate(Measure<T> measure) {
            this.measure = measure;
        }

        @Override
        public WindowStats createAccumulator() {
            return new WindowStats();
        }

        @Override
        public WindowStats add(T event, WindowStats acc) {
            acc.count++;
            acc.sum += measure.of(event);
            acc.maxTs = Math.max(acc.maxTs, event.ts());
            return acc;
        }

        @Override
        public WindowStats getResult(WindowStats acc) {
            return acc;
        }

        @Override
        public WindowStats merge(WindowStats a, WindowStats b) {
            a.count += b.count;
            a.sum += b.sum;
            a.maxTs = Math.max(a.maxTs, b.maxTs);
            return a;
        }
    }

    static final class Emit<R> extends ProcessWindowFunction<WindowStats, R, String, TimeWindow> {
        private final Emitter<R> emitter;

        Emit(Emitter<R> emitter) {
            this.emitter = emitter;
        }

        @Override
        public void process(String key, Context ctx, Iterable<WindowStats> stats, Collector<R> out) {
            out.collect(emitter.emit(key, ctx.window().getEnd(), stats.iterator().next()));
        }
    }
}
