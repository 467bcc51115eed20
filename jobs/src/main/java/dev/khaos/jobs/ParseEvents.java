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
 * its id, audit key or {@code ts}; drops control records silently, so no downstream branch ever sees them
 * (neither the windows nor the audit count them).
 *
 * <p>One control record acts: the task-exception marker {@code {"<id field>":"__fail__",
 * "failAtAttempt":N}} that Khaos writes to every partition of the input to inject a task
 * failure. A subtask throws {@link InjectedTaskFailure} on it only while its execution attempt
 * is N (Khaos reads the current attempt over REST just before writing) and the marker's
 * {@code groupId}, when given, is this job's consumer group. The failover restarts
 * the tasks with attempt N + 1 and replays the marker from the last checkpoint, and the replay
 * is ignored: one marker fails the job at most once, never in a loop. The marker has no
 * {@code ts}, so it never moves a watermark.
 */
public final class ParseEvents<T extends Event> extends RichFlatMapFunction<String, T>
        implements ResultTypeQueryable<T> {

    static final String CONTROL_PREFIX = "__";
    /** The id of the task-exception marker. */
    static final String FAIL_MARKER = "__fail__";
    /** The marker's field: the execution attempt at which to throw. */
    static final String FAIL_AT_ATTEMPT = "failAtAttempt";

    private final Class<T> type;
    /**
     * The marker's field naming the job that throws, by its consumer group ({@code --group-id}):
     * replicas share one input topic, each with its own group; other jobs ignore the marker.
     */
    static final String FAIL_MARKER_GROUP = "groupId";

    private transient Counter malformed;
    private transient String groupId;

    private ParseEvents(Class<T> type) {
        this.type = type;
    }

    public static <T extends Event> DataStream<T> parse(DataStream<String> raw, Class<T> type) {
        return raw.flatMap(new ParseEvents<>(type)).uid("parse").name("parse");
    }

    @Override
    public void open(OpenContext context) {
        malformed = getRuntimeContext().getMetricGroup().counter("malformedRecords");
        // KafkaJob puts the job's arguments in the global job parameters; absent in tests.
        groupId = getRuntimeContext().getGlobalJobParameters().get("group-id");
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
        if (event == null || event.key() == null) {
            malformed.inc();
        } else if (event.key().startsWith(CONTROL_PREFIX)) {
            if (event.key().equals(FAIL_MARKER)) {
                failIfDue(json);
            }
        } else if (event.ts() <= 0 || event.auditKey() == null) {
            malformed.inc();
        } else {
            out.collect(event);
        }
    }

    private void failIfDue(String json) {
        long failAt = Json.longField(json, FAIL_AT_ATTEMPT, -1);
        int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        String group = Json.textField(json, FAIL_MARKER_GROUP);
        if (failAt == attempt && (group == null || group.equals(groupId))) {
            throw new InjectedTaskFailure(attempt, getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        }
    }

    /** The task failure a marker asked for; its name shows in Flink's exception history. */
    public static final class InjectedTaskFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedTaskFailure(int attempt, int subtask) {
            super("task exception injected by Khaos (marker " + FAIL_MARKER + ") at attempt " + attempt
                    + " of subtask " + subtask + "; the replay after the restart ignores the marker");
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(type);
    }
}
