package dev.khaos.jobs;

import java.util.Arrays;

/**
 * The latency samples the gauges summarise: those of the last {@code windowMs} of wall time, at
 * most the last {@code capacity} of them. Written by the task thread and read by the metric
 * reporter's thread, hence synchronized.
 */
public final class LatencySamples {

    private final long windowMs;
    private final long[] at;
    private final long[] latency;
    private int next;
    private int size;

    public LatencySamples(long windowMs, int capacity) {
        this.windowMs = windowMs;
        this.at = new long[capacity];
        this.latency = new long[capacity];
    }

    public synchronized void add(long nowMs, long latencyMs) {
        at[next] = nowMs;
        latency[next] = latencyMs;
        next = (next + 1) % at.length;
        size = Math.min(size + 1, at.length);
    }

    /** Nearest-rank percentile ({@code p} in (0, 1]) of the current samples; 0 when there are none. */
    public long percentile(long nowMs, double p) {
        long[] s = current(nowMs);
        if (s.length == 0) {
            return 0;
        }
        Arrays.sort(s);
        int rank = (int) Math.ceil(p * s.length);
        return s[Math.max(rank, 1) - 1];
    }

    /** Mean of the current samples, rounded down; 0 when there are none. */
    public long mean(long nowMs) {
        long[] s = current(nowMs);
        return s.length == 0 ? 0 : Arrays.stream(s).sum() / s.length;
    }

    private synchronized long[] current(long nowMs) {
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (nowMs - at[i] <= windowMs) {
                out[n++] = latency[i];
            }
        }
        return Arrays.copyOf(out, n);
    }
}
