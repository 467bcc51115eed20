import { KhaosError } from '../../core/errors.js';
import type { ActuationOutcome, IntervalActuator } from '../../ports/actuator.js';
import type { Clock } from '../../ports/clock.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';

/** What one pacer tick did. */
export type PacerReport =
  | { kind: 'triggered'; triggerId: string; atMs: number; reason: 'due' | 'requested' }
  | { kind: 'completed'; checkpointId: number; triggeredAtMs: number; tookMs: number }
  | { kind: 'failed'; cause: string; consecutive: number; backoffMs: number }
  | { kind: 'waiting'; why: string; dueAtMs?: number };

export interface PacerOptions {
  /** Longest wait after a failed trigger, ms; waits double from 1 s up to this. */
  maxBackoffMs: number;
  /** A trigger still IN_PROGRESS after this long is abandoned (Flink's checkpoint timeout), ms. */
  triggerTimeoutMs: number;
}

/**
 * The `paced` actuator: the job runs with a long fallback interval (what it keeps if Khaos stops)
 * and Khaos triggers checkpoints itself over REST at the interval it chooses, so a change of
 * interval is instant: no savepoint, no restart, no catch-up.
 *
 * Each tick does at most one thing. Never more than one checkpoint in flight: a checkpoint of
 * Flink's own (the fallback) in progress defers the trigger, and a completed one counts as the
 * last checkpoint, so spacing holds whoever triggered. After a failed trigger the pacer waits
 * 1 s, 2 s, 4 s … (at most `maxBackoffMs`), and it stops triggering before its consecutive
 * failures reach Flink's tolerable-failed-checkpoints, so its own failures never fail the job:
 * it resumes once a checkpoint completes (Flink's fallback one, which resets Flink's count too).
 * Job changes (a restart after a failure, a new job id after a JobManager failover or a
 * relaunch) are followed by looking the running job up again.
 */
export class Pacer implements IntervalActuator {
  readonly kind = 'paced' as const;
  private interval: number;
  private jobId?: string;
  private inFlight?: { triggerId: string; jobId: string; atMs: number };
  /** Trigger time of the last completed checkpoint, whoever triggered it. */
  private lastCheckpointMs?: number;
  private consecutiveFailures = 0;
  private backoffUntilMs = 0;
  private tolerable?: number;
  private requested = false;
  private readonly ownIds = new Set<number>();
  private lastSeenId = -1;
  private foreign: { id: number; triggeredAtMs: number; tookMs: number }[] = [];
  /** The last successful check: the job to trigger on, and when it was checked. */
  private ready?: { jobId: string; atMs: number };

  constructor(
    private readonly flink: FlinkEngine,
    private readonly clock: Clock,
    initialIntervalMs: number,
    private readonly o: PacerOptions = { maxBackoffMs: 30_000, triggerTimeoutMs: 120_000 },
  ) {
    this.interval = initialIntervalMs;
  }

  intervalMs(): number {
    return this.interval;
  }

  async apply(intervalMs: number): Promise<ActuationOutcome> {
    const from = this.interval;
    this.interval = intervalMs;
    return { ok: true, fromIntervalMs: from, toIntervalMs: intervalMs, outageMs: 0, detail: `paced: checkpoints now every ${intervalMs} ms (no restart)` };
  }

  /** Completed checkpoints the pacer did not trigger (Flink's fallback ones), seen since the last call. */
  drainForeign(): { id: number; triggeredAtMs: number; tookMs: number }[] {
    const f = this.foreign;
    this.foreign = [];
    return f;
  }

  /** Asks for a checkpoint at the next tick, whatever the interval (e.g. right after a recovery). */
  requestCheckpoint(): void {
    this.requested = true;
  }

  /** When the next checkpoint is due, ms since the epoch; undefined before the first is seen. */
  dueAtMs(): number | undefined {
    return this.lastCheckpointMs === undefined ? undefined : this.lastCheckpointMs + this.interval;
  }

  /** Paused because its failures approach Flink's tolerable limit. */
  get paused(): boolean {
    return this.tolerable !== undefined && this.consecutiveFailures >= Math.max(1, this.tolerable);
  }

  async tick(): Promise<PacerReport> {
    const now = this.clock.now();
    if (this.inFlight) return this.poll(now);
    // The checks take three REST calls; done while waiting, they leave only the trigger for the
    // moment the checkpoint is due, so spacing is not stretched by their latency.
    const ready = this.ready && now - this.ready.atMs < 1000 ? this.ready : undefined;
    if (!ready || !this.isDue(now)) {
      const why = await this.check(now);
      if (why) return why;
    }
    if (!this.isDue(now)) return { kind: 'waiting', why: 'not due', dueAtMs: this.dueAtMs() };
    const jobId = this.ready!.jobId;
    const reason = this.requested && now < (this.dueAtMs() ?? now) ? 'requested' : 'due';
    this.requested = false;
    this.ready = undefined;
    const atMs = this.clock.now();
    const triggerId = await this.flink.triggerCheckpoint(jobId);
    this.inFlight = { triggerId, jobId, atMs };
    return { kind: 'triggered', triggerId, atMs, reason };
  }

  private isDue(now: number): boolean {
    return this.requested || now >= (this.dueAtMs() ?? now);
  }

  /** Whether a checkpoint may be triggered now; a report saying why not, or undefined (and `ready` set). */
  private async check(now: number): Promise<PacerReport | undefined> {
    this.ready = undefined;
    const job = (await this.flink.listJobs()).find((j) => j.state === 'RUNNING');
    if (!job) return { kind: 'waiting', why: 'no RUNNING job' };
    if (job.id !== this.jobId) {
      this.jobId = job.id;
      this.tolerable = (await this.flink.checkpointConfig(job.id)).tolerableFailures;
    }
    const stats = await this.flink.checkpoints(job.id);
    const latest = stats.latestCompleted;
    if (latest && latest.id > this.lastSeenId) {
      this.lastSeenId = latest.id;
      // Not one of ours: Flink's own (the fallback interval) or someone else's. It counts as the last checkpoint.
      if (!this.ownIds.has(latest.id)) this.foreign.push({ id: latest.id, triggeredAtMs: latest.triggerTimestampMs, tookMs: latest.endToEndDurationMs });
    }
    const flinkLast = latest?.triggerTimestampMs;
    if (flinkLast !== undefined && (this.lastCheckpointMs === undefined || flinkLast > this.lastCheckpointMs)) {
      this.lastCheckpointMs = flinkLast;
      this.consecutiveFailures = 0;
    }
    if (stats.counts.inProgress > 0) return { kind: 'waiting', why: 'a checkpoint is in flight' };
    if (this.paused) return { kind: 'waiting', why: `${this.consecutiveFailures} triggers failed in a row (Flink tolerates ${this.tolerable}): waiting for a fallback checkpoint to complete` };
    if (now < this.backoffUntilMs) return { kind: 'waiting', why: 'backing off after a failed trigger', dueAtMs: this.backoffUntilMs };
    const vertices = (await this.flink.job(job.id)).vertices;
    if (!vertices.every((v) => v.status === 'RUNNING')) return { kind: 'waiting', why: 'tasks still deploying' };
    this.ready = { jobId: job.id, atMs: now };
    return undefined;
  }

  private async poll(now: number): Promise<PacerReport> {
    const f = this.inFlight!;
    let status;
    try {
      status = await this.flink.checkpointTriggerStatus(f.jobId, f.triggerId);
    } catch (e) {
      // The job is gone (failover, relaunch): its trigger with it.
      if (!(e instanceof KhaosError && /404/.test(e.message))) throw e;
      status = { state: 'FAILED' as const, cause: `job ${f.jobId} is gone` };
    }
    if (status.state === 'IN_PROGRESS') {
      if (now - f.atMs < this.o.triggerTimeoutMs) return { kind: 'waiting', why: 'triggered checkpoint in flight' };
      status = { state: 'FAILED' as const, cause: `still in progress after ${this.o.triggerTimeoutMs} ms` };
    }
    this.inFlight = undefined;
    if (status.state === 'COMPLETED') {
      this.ownIds.add(status.checkpointId);
      this.lastCheckpointMs = Math.max(this.lastCheckpointMs ?? 0, f.atMs);
      this.consecutiveFailures = 0;
      return { kind: 'completed', checkpointId: status.checkpointId, triggeredAtMs: f.atMs, tookMs: now - f.atMs };
    }
    this.consecutiveFailures++;
    const backoffMs = Math.min(this.o.maxBackoffMs, 1000 * 2 ** (this.consecutiveFailures - 1));
    this.backoffUntilMs = now + backoffMs;
    return { kind: 'failed', cause: status.cause, consecutive: this.consecutiveFailures, backoffMs };
  }
}
