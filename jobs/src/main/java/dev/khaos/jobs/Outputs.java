package dev.khaos.jobs;

import org.apache.flink.streaming.api.datastream.DataStream;

/** What a job's pipeline produces: the main results and the audit counts, both as JSON. */
public record Outputs(DataStream<String> main, DataStream<String> audit) {}
