package dev.khaos.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.flink.util.ParameterTool;

/**
 * The command line the jobs share; it is the contract with the control plane, which passes
 * exactly these arguments, plus a job's own non-negative integer options ({@code options}: names
 * the job declares, with their defaults; the dedup job's retention and state payload). Checkpointing, state backend, restart strategy and parallelism are
 * deliberately absent: they come from the cluster configuration so the control plane can change
 * them between runs without rebuilding the jar.
 */
public record JobArgs(
        String bootstrap,
        String inputTopic,
        String outputTopic,
        String auditTopic,
        String groupId,
        String txnPrefix,
        Duration outOfOrderness,
        Duration idleness,
        Map<String, Long> options) {

    static final List<String> REQUIRED = List.of(
            "bootstrap", "input-topic", "output-topic", "audit-topic", "group-id", "txn-prefix");
    static final long DEFAULT_OUT_OF_ORDERNESS_MS = 500;
    /**
     * How long a Kafka partition may go without records before its watermark stops holding the
     * job back (Flink's idleness). 1 s: at the lowest profiled rates (about 2 ev/s over 4
     * partitions, so a partition waits 2 s between records on average) a window then waits at
     * most the out-of-orderness bound plus 1 s plus up to three 200 ms watermark periods for
     * silent partitions, which keeps p99 latency at 1.8 ev/s (about 1.8 s) near that at 20 ev/s
     * (about 1.6 s); 5 s gave 3.4-3.6 s measured (5.8 s modelled) and 2 s still 2.8 s modelled
     * (`npx tsx bench/watermark-idleness.ts`). Shorter is not safer for latency's meaning: above a few
     * events/s partitions are rarely idle for 1 s, so the setting matters only at low rates.
     * Idleness cannot drop records by itself: a record that arrives after its partition was
     * declared idle is late only if other partitions already delivered records created more
     * than the out-of-orderness bound after it, which at start-up (and after a restart) one
     * consumer's slow first fetch did: so a partition counts as idle only once it has delivered
     * a record (see EventTime).
     */
    static final long DEFAULT_IDLENESS_MS = 1000;

    /** Parses {@code --name value} pairs; names every missing or bad argument in one message. */
    public static JobArgs parse(String[] argv) {
        return parse(argv, Map.of());
    }

    /**
     * As {@link #parse(String[])}, also accepting the job's own options (name without "--" to
     * default), each a non-negative integer; {@link #options()} then holds every one of them.
     */
    public static JobArgs parse(String[] argv, Map<String, Long> jobOptions) {
        Map<String, String> given = ParameterTool.fromArgs(argv).toMap();
        List<String> problems = new ArrayList<>();

        List<String> missing = new ArrayList<>();
        for (String name : REQUIRED) {
            if (value(given, name) == null) {
                missing.add("--" + name);
            }
        }
        if (!missing.isEmpty()) {
            problems.add("missing required arguments: " + String.join(", ", missing));
        }

        // A typo in an optional argument would otherwise silently fall back to its default.
        Set<String> unknown = new TreeSet<>(given.keySet());
        REQUIRED.forEach(unknown::remove);
        unknown.remove("out-of-orderness-ms");
        unknown.remove("idleness-ms");
        unknown.removeAll(jobOptions.keySet());
        if (!unknown.isEmpty()) {
            problems.add("unknown arguments: --" + String.join(", --", unknown));
        }

        long outOfOrdernessMs = millis(given, "out-of-orderness-ms", DEFAULT_OUT_OF_ORDERNESS_MS, problems);
        long idlenessMs = millis(given, "idleness-ms", DEFAULT_IDLENESS_MS, problems);
        Map<String, Long> options = new TreeMap<>();
        jobOptions.forEach((name, dflt) -> options.put(name, millis(given, name, dflt, problems)));

        if (!problems.isEmpty()) {
            String message = String.join("; ", problems);
            System.err.println(message);
            throw new IllegalArgumentException(message);
        }
        return new JobArgs(
                value(given, "bootstrap"),
                value(given, "input-topic"),
                value(given, "output-topic"),
                value(given, "audit-topic"),
                value(given, "group-id"),
                value(given, "txn-prefix"),
                Duration.ofMillis(outOfOrdernessMs),
                Duration.ofMillis(idlenessMs),
                Map.copyOf(options));
    }

    /** The value, or null when absent, blank, or given as a bare flag (ParameterTool's "__NO_VALUE_KEY"). */
    private static String value(Map<String, String> given, String name) {
        String v = given.get(name);
        return v == null || v.isBlank() || v.equals("__NO_VALUE_KEY") ? null : v;
    }

    /** A non-negative integer argument (ms, bytes), or its default when absent. */
    private static long millis(Map<String, String> given, String name, long dflt, List<String> problems) {
        String v = value(given, name);
        if (v == null) {
            return dflt;
        }
        try {
            long ms = Long.parseLong(v);
            if (ms >= 0) {
                return ms;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        problems.add("--" + name + " must be a non-negative integer, got '" + v + "'");
        return dflt;
    }
}
