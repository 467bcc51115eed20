package dev.khaos.jobs;

/**
 * A window result the latency stage can stamp: the fields both jobs' outputs share. A Flink POJO
 * (public fields, no-argument constructor), so subclasses stay POJOs too.
 */
public abstract class Timed {

    /** The end of the event-time window, epoch ms: the creation time of the latest event it could hold. */
    public long windowEnd;
    /** Events in the window. */
    public long count;
    /** The newest event creation time among the window's events, epoch ms. */
    public long maxTs;
    /** Set by the latency stage. */
    public long latencyMs;

    protected Timed() {}

    protected Timed(long windowEnd, long count, long maxTs) {
        this.windowEnd = windowEnd;
        this.count = count;
        this.maxTs = maxTs;
    }
}
