package dev.khaos.jobs;

/** What the shared stages (parsing, windows, audit) need from a parsed input record. */
public interface Event {

    /** The record's primary id: the audit branch counts by it (unless {@link #auditKey()} says otherwise), and "__"-prefixed ids mark control records. */
    String key();

    /**
     * What the audit branch counts by: the primary id, unless the job's ids are so many (one per
     * event, as the dedup job's) that one audit record per id and second would double its output.
     */
    default String auditKey() {
        return key();
    }

    /** Event creation time in epoch ms; also the event time. */
    long ts();
}
