package dev.khaos.jobs;

/** What the shared stages (parsing, windows, audit) need from a parsed input record. */
public interface Event {

    /** The record's primary id: the audit branch counts by it, and "__"-prefixed ids mark control records. */
    String key();

    /** Event creation time in epoch ms; also the event time. */
    long ts();
}
