import { badInput } from '../../core/errors.js';
import type { OperatorCommand } from '../../core/control/records.js';
import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { ProfileStore } from '../../ports/profile-store.js';
import { RunReader, type RunSummary, type RunView } from '../control/run-records.js';
import { parseOperatorCommand } from './commands.js';
import { controlMetrics } from './metrics.js';
import { profileView } from './profiles.js';
import { evaluationView, NO_EVALUATIONS_HINT, type EvaluationFiles } from './evaluations.js';
import type { FailureSample } from '../../core/profiling/samples.js';
import { profileModelData } from '../../report/profile-report.js';
import { modelCurvePoints, throughputRange } from '../../report/profile-plots.js';

/**
 * The dashboard's use case: what its pages, its live stream and /metrics read, over the records
 * Khaos keeps (control.db, khaos.db), read-only; and the one write it makes, a person's command,
 * through the control store's own write path.
 */
export interface DashboardSources {
  /** The control records, read-only; undefined while there are none (no control run yet). */
  controlRecords(): ControlStore | undefined;
  /** The profile records, read-only; undefined while there are none. */
  profileRecords(): ProfileStore | undefined;
  /** Queues a person's command for a run (the controller takes it on its next tick). */
  queueCommand(runId: string, atMs: number, command: OperatorCommand): number;
  alive(pid: number): boolean;
  clock: Clock;
  /** The output directories of `khaos evaluate` given to the dashboard, read. */
  evaluations(): EvaluationFiles[];
}

/** What a page says when there is nothing to show yet: the command that makes it. */
export const NO_RUNS_HINT = 'no control runs yet: start one with `npx khaos control --config FILE --dashboard` (or `npx khaos control --attach URL --config FILE`)';
export const NO_PROFILES_HINT = 'no profiles yet: run `npx khaos profile --config FILE` to measure recoveries at several intervals';

export type RunListItem = Omit<RunSummary, 'config'>;

export interface Overview {
  runs: RunListItem[];
  /** The run a controller is running now, if any (the newest such). */
  liveRunId?: string;
  hint?: string;
  nowMs: number;
}

const withoutConfig = ({ config: _c, ...r }: RunSummary): RunListItem => r;

export class DashboardData {
  constructor(private readonly s: DashboardSources) {}

  private withControl<T>(f: (store: ControlStore) => T, none: T): T {
    const store = this.s.controlRecords();
    return store ? f(store) : none;
  }

  /** One reader per run, kept: each look reads only the records added since the last (RunReader). */
  private readonly readers = new Map<string, RunReader>();
  private readersOf?: ControlStore;

  private reader(store: ControlStore, id: string): RunReader {
    if (this.readersOf !== store) {
      this.readers.clear();
      this.readersOf = store;
    }
    let r = this.readers.get(id);
    if (!r) this.readers.set(id, (r = new RunReader(store, id, this.s.alive)));
    return r;
  }

  /** Every run, newest first, with its view as read now. */
  private views(store: ControlStore): RunView[] {
    return store.listRuns().flatMap((r) => this.reader(store, r.id).read() ?? []);
  }

  overview(): Overview {
    const runs = this.withControl((st) => this.views(st).map((v) => v.run), []);
    return { runs: runs.map(withoutConfig), liveRunId: runs.find((r) => r.status === 'running')?.id, hint: runs.length ? undefined : NO_RUNS_HINT, nowMs: this.s.clock.now() };
  }

  /**
   * A run's view as read now. The view is the reader's own and grows with each read (its arrays
   * only get longer): a caller that keeps it takes what it needs before the next read.
   */
  run(id: string): RunView | undefined {
    return this.withControl((st) => this.reader(st, id).read(), undefined);
  }

  /** Prometheus text: every running run, or the newest run when none runs; empty without records. */
  metrics(): string {
    const views = this.withControl((st) => {
      const all = this.views(st);
      return all.some((v) => v.run.status === 'running') ? all.filter((v) => v.run.status === 'running') : all.slice(0, 1);
    }, [] as RunView[]);
    return controlMetrics(views);
  }

  /**
   * Queues a person's command (the POST body: see parseOperatorCommand) for a running run. Throws
   * KhaosError('bad-input') for a command that does not parse, an unknown run, or a run no
   * controller runs any more (nobody would obey it).
   */
  command(runId: string, body: unknown): { seq: number } {
    const command = parseOperatorCommand(body, this.s.clock.now());
    const run = this.overview().runs.find((r) => r.id === runId);
    if (!run) throw badInput(`no control run "${runId}"`, 'pick a run from the Runs page');
    if (run.status !== 'running') throw badInput(`control run ${runId} is ${run.status}: no controller would obey the command`, 'start control again (`npx khaos control … --dashboard`) and send it to the new run');
    return { seq: this.s.queueCommand(runId, this.s.clock.now(), command) };
  }

  profiles() {
    const store = this.s.profileRecords();
    if (!store) return { profiles: [], hint: NO_PROFILES_HINT };
    const profiles = store.listProfiles().map((p) => {
      const ms = store.measurements(p.id);
      return { id: p.id, createdAtMs: p.createdAtMs, status: p.status, job: p.plan.job, intervalsMs: p.plan.intervalsMs, steps: store.steps(p.id).length, measurements: ms.length, timeouts: ms.filter((m) => m.outcome !== 'recovered').length };
    });
    return { profiles, hint: profiles.length ? undefined : NO_PROFILES_HINT };
  }

  /**
   * A profile's models as the Models page draws them: the fitted curves of recovery and latency
   * against throughput per interval, the profiled samples and those learned in production (from
   * control runs of the same job), the timeouts, and the cross-validation figures.
   */
  models(id: string) {
    const store = this.s.profileRecords();
    const record = store?.getProfile(id);
    if (!store || !record) return undefined;
    const { samples, timeouts, intervals, fitting } = profileModelData(record, store.measurements(id), record.plan.seed);
    const production = this.productionSamples(record.plan.job);
    const range = throughputRange([...samples, ...production, ...timeouts]);
    const curves = (kind: 'recovery' | 'latency') => (fitting.ok && fitting.chosen[kind] && range ? modelCurvePoints(fitting.chosen[kind], intervals, range, 60) : []);
    return {
      profileId: id,
      job: record.plan.job,
      /** The job the models are fitted for: the profile's job identity (absent in profiles recorded before them), and its jar's sha256. */
      fittedFor: { identity: record.plan.jobIdentity, jarSha256: record.provenance.jobJarSha256, flinkVersion: record.provenance.flinkVersion },
      intervalsMs: intervals,
      profiled: samples,
      production,
      timeouts: timeouts.map((m) => ({ ciMs: m.ciMs, throughputEps: m.throughputEps, latencyMs: m.latencyMs })),
      fitting: fitting.ok
        ? {
            n: fitting.n,
            models: (['recovery', 'latency'] as const).flatMap((kind) => fitting.fitted[kind].map((m) => ({ kind, variant: m.variant, chosen: fitting.chosen[kind] === m, cvMape: m.cv.cvMape, r2: m.fit.r2 }))),
            curves: { recovery: curves('recovery'), latency: curves('latency') },
          }
        : { reason: fitting.reason },
    };
  }

  /** Failures measured in production by control runs of `job` (recovery events with a sample). */
  private productionSamples(job: string): (FailureSample & { runId: string })[] {
    return this.withControl(
      (st) =>
        st.listRuns()
          .filter((r) => (r.config as { job?: { kind?: string } } | undefined)?.job?.kind === job)
          .flatMap((r) => st.events(r.id, 'recovery').flatMap((e) => {
            const sample = (e.data as { sample?: FailureSample } | undefined)?.sample;
            return sample ? [{ ...sample, runId: r.id }] : [];
          })),
      [],
    );
  }

  evaluations() {
    const views = this.s.evaluations().map(evaluationView);
    return { evaluations: views, hint: views.length ? undefined : NO_EVALUATIONS_HINT };
  }

  profile(id: string) {
    const store = this.s.profileRecords();
    const record = store?.getProfile(id);
    if (!store || !record) return undefined;
    return profileView(record, store.steps(id), store.measurements(id));
  }
}
