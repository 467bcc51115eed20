import { quantile } from '../stats.js';

/**
 * End-to-end latency from a job's committed output, as a downstream consumer lives it (job.latency
 * output-timestamp): for each record, the wall time it became visible to a read_committed consumer
 * (its transaction committed, so the exactly-once commit wait is included) less its reference
 * time: its Kafka timestamp (a 1:1 job's output keeps its input record's), or the epoch-ms number
 * in `field` of its JSON value (the sample jobs' `windowEnd`, the creation time of the latest event
 * the window could hold). Nothing here reads a gauge, so nothing can go stale after a restart: a
 * replica that commits nothing has no latency rather than an old one.
 */
export class OutputLatencyLog {
  private seenAtMs: number[] = [];
  private latencyMs: number[] = [];
  /** Records without a reference time (no `field` in the value, or no Kafka timestamp). */
  unreadable = 0;
  private readonly field?: RegExp;

  /** Keeps what was seen within `keepMs` of the newest record; `field`: where the reference time is, else the Kafka timestamp. */
  constructor(private readonly keepMs = 15 * 60_000, field?: string) {
    if (field !== undefined) this.field = new RegExp(`"${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}":(\\d+)`);
  }

  add(value: string, seenAtMs: number, timestampMs?: number): void {
    const ref = this.field ? Number(this.field.exec(value)?.[1] ?? NaN) : timestampMs;
    if (ref === undefined || !(ref >= 0)) {
      this.unreadable++;
      return;
    }
    this.seenAtMs.push(seenAtMs);
    this.latencyMs.push(seenAtMs - ref);
    if (this.seenAtMs[0]! < seenAtMs - this.keepMs * 2) this.prune(seenAtMs - this.keepMs);
  }

  /** Records seen in [fromMs, toMs). */
  count(fromMs: number, toMs: number): number {
    return this.within(fromMs, toMs).length;
  }

  /** p99 latency of the records seen in [fromMs, toMs), ms; null when none was seen. */
  p99(fromMs: number, toMs: number): number | null {
    const xs = this.within(fromMs, toMs);
    return xs.length ? quantile(xs, 0.99) : null;
  }

  private within(fromMs: number, toMs: number): number[] {
    return this.latencyMs.filter((_, i) => this.seenAtMs[i]! >= fromMs && this.seenAtMs[i]! < toMs);
  }

  private prune(beforeMs: number): void {
    const first = this.seenAtMs.findIndex((t) => t >= beforeMs);
    const from = first < 0 ? this.seenAtMs.length : first;
    this.seenAtMs = this.seenAtMs.slice(from);
    this.latencyMs = this.latencyMs.slice(from);
  }
}
