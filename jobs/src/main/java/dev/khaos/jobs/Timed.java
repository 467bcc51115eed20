package dev.khaos.jobs;

/** A window result the latency stage can stamp. */
public interface Timed {

    /** The newest event creation time among the window's events, epoch ms. */
    long maxTs();

    /** The end of the event-time window, epoch ms: the creation time of the latest event it could hold. */
    long windowEnd();

    void latencyMs(long latencyMs);
}
