package dev.khaos.jobs;

/** A window result the latency stage can stamp. */
public interface Timed {

    /** The newest event creation time among the window's events, epoch ms. */
    long maxTs();

    void latencyMs(long latencyMs);
}
