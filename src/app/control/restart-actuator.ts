import type { ReconfigRecord, ReconfigStep } from '../../core/control/records.js';
import type { ActuationOutcome, IntervalActuator } from '../../ports/actuator.js';
import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import type { Orchestrator } from '../../ports/orchestrator.js';

export interface RestartActuatorDeps {
  orchestrator: Orchestrator;
  /** The replica's Flink REST API: what really runs, whatever the records say. */
  flink: FlinkEngine;
  store: ControlStore;
  clock: Clock;
  log(line: string): void;
  /** The run recording the reconfigurations. */
  runId(): string;
  /** Called right after each step is persisted, before it is taken (the crash-safety test kills the process here). */
  onStep?(step: ReconfigStep): void;
  /** How long a resumed step may wait for the job to settle, ms. */
  settleTimeoutMs?: number;
}

/** Persists `r` at `step` (with `extra`), then tells `onStep`: every step is recorded before it is taken. */
export function saveStep(deps: Pick<RestartActuatorDeps, 'store' | 'clock' | 'onStep'>, r: ReconfigRecord, step: ReconfigStep, extra: Partial<ReconfigRecord> = {}): ReconfigRecord {
  const next = { ...r, ...extra, step, updatedAtMs: deps.clock.now() };
  deps.store.saveReconfiguration(next);
  deps.onStep?.(step);
  return next;
}

/**
 * The `restart` actuator: stop with a savepoint, relaunch from it with the new interval (the
 * original's way; also the way to change a paced job's fallback). Every step is persisted before
 * it is taken, so a controller killed at any point and started again finishes the step or rolls
 * back: the job ends RUNNING with one interval, from the savepoint the stop completed. If the
 * savepoint fails, the job keeps running and the change is reported as failed; if the relaunch
 * fails, it is retried once from the same savepoint, then reported.
 */
export class RestartActuator implements IntervalActuator {
  readonly kind = 'restart' as const;
  private current?: number;

  constructor(
    private readonly deps: RestartActuatorDeps,
    private readonly replica: string,
    /** Names the target in the records: `<stack>/<replica>`. */
    private readonly target: string,
  ) {}

  intervalMs(): number {
    return this.current ?? this.deps.orchestrator.replica(this.replica).checkpointIntervalMs;
  }

  /** The interval the running job really has (read from Flink), when the records may be stale. */
  adopt(intervalMs: number): void {
    this.current = intervalMs;
  }

  private save(r: ReconfigRecord, step: ReconfigStep, extra: Partial<ReconfigRecord> = {}): ReconfigRecord {
    return saveStep(this.deps, r, step, extra);
  }

  async apply(toIntervalMs: number): Promise<ActuationOutcome> {
    const from = this.intervalMs();
    const now = this.deps.clock.now();
    let r = this.save({ id: `${this.target}@${now}`, runId: this.deps.runId(), target: this.target, fromIntervalMs: from, toIntervalMs, step: 'planned', startedAtMs: now, updatedAtMs: now }, 'planned');
    r = this.save(r, 'stopping');
    let savepointPath: string;
    try {
      savepointPath = (await this.deps.orchestrator.stopWithSavepoint(this.replica)).savepointPath;
    } catch (e) {
      this.save(r, 'failed', { detail: `savepoint failed, the job keeps running at ${from} ms: ${(e as Error).message}` });
      return { ok: false, fromIntervalMs: from, toIntervalMs: from, outageMs: 0, detail: `savepoint failed; the job keeps running at ${from} ms: ${(e as Error).message}` };
    }
    r = this.save(r, 'stopped', { savepointPath });
    return this.relaunchFrom(r, now);
  }

  /** relaunching → done, retried once; failed (the job is down) after that. */
  private async relaunchFrom(r: ReconfigRecord, requestedAtMs: number): Promise<ActuationOutcome> {
    r = this.save(r, 'relaunching');
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.orchestrator.relaunch(this.replica, r.savepointPath!, r.toIntervalMs);
        break;
      } catch (e) {
        if (attempt < 2 && !(await this.deps.orchestrator.jobManagerAlive(this.replica))) {
          this.deps.log(`restart: relaunch from ${r.savepointPath} failed (${(e as Error).message}); trying once more`);
          continue;
        }
        const detail = `relaunch from ${r.savepointPath} failed twice: the job is down; ${(e as Error).message}. Start the controller again to retry from the same savepoint`;
        this.save(r, 'failed', { detail });
        return { ok: false, fromIntervalMs: r.fromIntervalMs, toIntervalMs: r.toIntervalMs, outageMs: this.deps.clock.now() - requestedAtMs, detail };
      }
    }
    this.current = r.toIntervalMs;
    this.save(r, 'done');
    const outageMs = this.deps.clock.now() - requestedAtMs;
    return { ok: true, fromIntervalMs: r.fromIntervalMs, toIntervalMs: r.toIntervalMs, outageMs, detail: `restart: savepoint ${r.savepointPath}, running again after ${outageMs} ms` };
  }

  /** The running job, once every task runs; undefined if none. */
  private async runningJob(): Promise<string | undefined> {
    const job = (await this.deps.flink.listJobs().catch(() => [])).find((j) => j.state === 'RUNNING');
    if (!job) return undefined;
    const details = await this.deps.flink.job(job.id).catch(() => undefined);
    return details?.vertices.every((v) => v.status === 'RUNNING') ? job.id : undefined;
  }

  /**
   * True when the JobManager is gone, or answers with nothing but ended jobs: a stopped
   * application-mode JobManager may linger after its job finished (it does when the client that
   * asked for the stop died), and the relaunch replaces it.
   */
  private async stoppedJobManager(): Promise<boolean> {
    if (!(await this.deps.orchestrator.jobManagerAlive(this.replica))) return true;
    const jobs = await this.deps.flink.listJobs().catch(() => undefined);
    return jobs !== undefined && jobs.length > 0 && jobs.every((j) => ['FINISHED', 'CANCELED', 'FAILED'].includes(j.state));
  }

  private async waitFor<T>(what: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = this.deps.clock.now() + (this.deps.settleTimeoutMs ?? 120_000);
    for (;;) {
      const v = await what();
      if (v !== undefined || this.deps.clock.now() > deadline) return v;
      await this.deps.clock.sleep(1000);
    }
  }

  /**
   * Finishes or rolls back a reconfiguration a killed controller left open; returns what it did,
   * or undefined when there was none. Decided from what really runs, not from the records alone:
   * - planned: nothing was done yet → rolled back.
   * - stopping: the stop may still complete. Once the JobManager has exited, relaunch from the
   *   savepoint completed since the step began; if the job still runs with no savepoint in
   *   flight, the stop never happened → rolled back.
   * - stopped / relaunching: if a relaunched JobManager runs, wait for its job; otherwise
   *   relaunch from the recorded savepoint.
   */
  async resume(): Promise<string | undefined> {
    let r = this.deps.store.openReconfiguration(this.target);
    if (!r) return undefined;
    const orchestrator = this.deps.orchestrator;
    this.deps.log(`restart: resuming reconfiguration ${r.id} (${r.fromIntervalMs} → ${r.toIntervalMs} ms) left at step "${r.step}"`);
    if (r.step === 'planned') {
      this.save(r, 'rolled-back', { detail: 'the controller stopped before the savepoint was requested: the job was not touched' });
      return `rolled back (nothing had been done; the job runs at ${r.fromIntervalMs} ms)`;
    }
    if (r.step === 'stopping') {
      const settled = await this.waitFor(async () => {
        if (await this.stoppedJobManager()) return 'stopped' as const;
        const id = await this.runningJob();
        if (id && (await this.deps.flink.checkpoints(id)).counts.inProgress === 0) return 'running' as const;
        return undefined;
      });
      if (settled === 'running') {
        this.current = r.fromIntervalMs;
        this.save(r, 'rolled-back', { detail: 'the stop-with-savepoint did not happen or failed: the job kept running' });
        return `rolled back (the job kept running at ${r.fromIntervalMs} ms)`;
      }
      const sp = (await orchestrator.savepoints(this.replica)).find((s) => s.completedAtMs >= r!.startedAtMs - 1000);
      if (!sp) {
        const detail = 'the job stopped but no savepoint completed since the reconfiguration began: not relaunched automatically (an older savepoint would replay committed output); relaunch it by hand from the latest retained checkpoint';
        this.save(r, 'failed', { detail });
        return `failed: ${detail}`;
      }
      r = this.save(r, 'stopped', { savepointPath: sp.path });
    }
    // stopped or relaunching: a JobManager alive now is either the stopped one on its way out or a
    // relaunched one on its way up: wait until it is gone or its job runs.
    if (await orchestrator.jobManagerAlive(this.replica)) {
      const id = await this.waitFor(async () => ((await this.stoppedJobManager()) ? null : await this.runningJob()));
      if (id) {
        const interval = (await this.deps.flink.checkpointConfig(id)).intervalMs;
        this.current = interval;
        this.save(r, 'done', { detail: `resumed: the relaunched job was already RUNNING at ${interval} ms` });
        return `done (the relaunched job runs at ${interval} ms)`;
      }
    }
    const out = await this.relaunchFrom(r, r.startedAtMs);
    return out.ok ? `done (relaunched from ${r.savepointPath} at ${r.toIntervalMs} ms)` : `failed: ${out.detail}`;
  }
}
