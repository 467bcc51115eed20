package dev.khaos.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JobArgsTest {

    static final String[] FULL = {
        "--bootstrap", "localhost:9092",
        "--input-topic", "in",
        "--output-topic", "out",
        "--audit-topic", "audit",
        "--group-id", "g",
        "--txn-prefix", "khaos-r1",
    };

    @Test
    void defaults() {
        JobArgs args = JobArgs.parse(FULL);
        assertEquals("localhost:9092", args.bootstrap());
        assertEquals("in", args.inputTopic());
        assertEquals("out", args.outputTopic());
        assertEquals("audit", args.auditTopic());
        assertEquals("g", args.groupId());
        assertEquals("khaos-r1", args.txnPrefix());
        assertEquals(Duration.ofMillis(500), args.outOfOrderness());
        assertEquals(Duration.ofMillis(1000), args.idleness());
    }

    @Test
    void overrides() {
        String[] argv = concat(FULL, "--out-of-orderness-ms", "250", "--idleness-ms", "0");
        JobArgs args = JobArgs.parse(argv);
        assertEquals(Duration.ofMillis(250), args.outOfOrderness());
        assertEquals(Duration.ZERO, args.idleness());
    }

    @Test
    void allMissingArgumentsNamedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobArgs.parse(new String[] {"--input-topic", "in", "--group-id", "--audit-topic", "a"}));
        assertEquals("missing required arguments: --bootstrap, --output-topic, --group-id, --txn-prefix",
                e.getMessage());
    }

    @Test
    void mainsRejectAnEmptyCommandLine() {
        for (Runnable main : new Runnable[] {
            () -> call(() -> IotVehiclesJob.main(new String[0])),
            () -> call(() -> YsbAdvertisingJob.main(new String[0])),
            () -> call(() -> DedupJob.main(new String[0])),
        }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, main::run);
            for (String name : JobArgs.REQUIRED) {
                assertTrue(e.getMessage().contains("--" + name), e.getMessage());
            }
        }
    }

    @Test
    void badNumbersAndUnknownArgumentsAreErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobArgs.parse(concat(FULL, "--idleness-ms", "soon", "--out-of-orderness", "9")));
        assertTrue(e.getMessage().contains("unknown arguments: --out-of-orderness"), e.getMessage());
        assertTrue(e.getMessage().contains("--idleness-ms must be a non-negative integer"), e.getMessage());
    }

    @Test
    void aJobsOwnOptionsTakeTheirDefaultsOrTheGivenValue() {
        assertEquals(Map.of("retention-ms", 60_000L, "state-payload-bytes", 300L, "state-attributes", 0L), JobArgs.parse(FULL, DedupJob.OPTIONS).options());
        assertEquals(Map.of("retention-ms", 5_000L, "state-payload-bytes", 300L, "state-attributes", 0L),
                JobArgs.parse(concat(FULL, "--retention-ms", "5000"), DedupJob.OPTIONS).options());
        assertEquals(Map.of(), JobArgs.parse(FULL).options());
    }

    @Test
    void aJobsOwnOptionsAreUnknownToOtherJobsAndCheckedLikeTheShared() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobArgs.parse(concat(FULL, "--retention-ms", "5000")));
        assertTrue(e.getMessage().contains("unknown arguments: --retention-ms"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> JobArgs.parse(concat(FULL, "--state-payload-bytes", "-1"), DedupJob.OPTIONS));
        assertTrue(e.getMessage().contains("--state-payload-bytes must be a non-negative integer, got '-1'"), e.getMessage());
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static void call(ThrowingRunnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
