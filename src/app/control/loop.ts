import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { Controller, TickReport } from './controller.js';
import type { Pacer, PacerReport } from './pacer.js';

export interface LoopOptions {
  runId: string;
  /** Controller tick period, ms (one sample each). */
  tickMs: number;
  /** A live line this often, ms. */
  statusEveryMs: number;
  /** Longest pacer sleep, ms; it wakes earlier when a checkpoint is due. */
  pacerMaxSleepMs: number;
  /** Recovery-time target, s, for the live line. */
  recoveryTargetS: number;
  shouldStop(): boolean;
  /** While true, neither the controller nor the pacer acts (a deployment whose interval was set by hand); evaluated before each tick. */
  paused?(): boolean;
  log(line: string): void;
  /** Called after each controller tick (tests, the local run's chaos schedule). */
  onTick?(r: TickReport): void | Promise<void>;
}

const fmtS = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;

/** The live line: load, latency, interval, the next decision, predicted recovery against its target. */
export function statusLine(r: TickReport, c: Controller, recoveryTargetS: number): string {
  const o = r.observation;
  const p = r.decision.predictions ?? c.lastEvaluated?.predictions;
  const rec = p?.recoveryS ? `recovery ${p.recoveryS.mid.toFixed(1)} s (≤ ${p.recoveryS.high.toFixed(1)}) vs ${recoveryTargetS} s` : `recovery: no prediction`;
  const load = Number.isFinite(o.throughputEps) ? `${o.throughputEps.toFixed(0)} ev/s` : 'no rate';
  const fc = o.forecastEps !== undefined ? ` (forecast ${o.forecastEps.toFixed(0)})` : '';
  const lat = Number.isFinite(o.latencyMs) ? `p99 ${o.latencyMs.toFixed(0)} ms` : 'p99 n/a';
  return `control: ${r.sample.state} · ${load}${fc} · ${lat} · interval ${fmtS(o.intervalMs)} · ${rec} · ${r.decision.action}: ${r.decision.reason} · failures ${c.failures}`;
}

function pacerEvent(runId: string, store: ControlStore, r: PacerReport, atMs: number, log: (l: string) => void): void {
  if (r.kind === 'waiting') return;
  const detail =
    r.kind === 'triggered' ? `triggered checkpoint (${r.reason})` : r.kind === 'completed' ? `checkpoint ${r.checkpointId} completed in ${r.tookMs} ms` : `trigger failed (${r.consecutive} in a row, next try in ${r.backoffMs} ms): ${r.cause}`;
  store.recordEvent({ runId, atMs, kind: `checkpoint-${r.kind}`, detail, data: r });
  if (r.kind === 'failed') log(`pacer: ${detail}`);
}

/**
 * How long the pacer sleeps after a `waiting` tick: until its checkpoint is due (at most
 * `maxSleepMs`), or, when it waits on Flink rather than on time (a checkpoint in flight, tasks
 * deploying, no due time yet), a twentieth of the interval within 50 ms–`maxSleepMs`: often
 * enough to keep the spacing within a few percent, without polling Flink's REST in a tight loop.
 */
export function pacerSleepMs(r: PacerReport, pacer: Pick<Pacer, 'intervalMs' | 'dueAtMs'>, now: number, maxSleepMs: number): number {
  const due = r.kind === 'waiting' ? (r.dueAtMs ?? pacer.dueAtMs()) : undefined;
  const pollMs = Math.max(50, Math.min(maxSleepMs, pacer.intervalMs() / 20));
  return Math.min(maxSleepMs, due !== undefined && due > now ? due - now : pollMs);
}

/**
 * The thin scheduler: the controller ticks every `tickMs`; the pacer (paced actuator) ticks on
 * its own, sleeping until its next checkpoint is due. Any error of a tick is recorded as an event
 * and the loop goes on. Returns when `shouldStop()` turns true.
 */
export async function runControlLoop(controller: Controller, pacer: Pacer | undefined, clock: Clock, store: ControlStore, o: LoopOptions): Promise<void> {
  const recordError = (where: string, e: unknown) => {
    const detail = `${where}: ${(e as Error).message ?? String(e)}`;
    store.recordEvent({ runId: o.runId, atMs: clock.now(), kind: 'error', detail });
    o.log(`control: error (recorded, going on) ${detail}`);
  };
  const pacing = (async () => {
    while (pacer && !o.shouldStop()) {
      if (o.paused?.()) {
        await clock.sleep(o.pacerMaxSleepMs);
        continue;
      }
      try {
        const r = await pacer.tick();
        pacerEvent(o.runId, store, r, clock.now(), o.log);
        for (const f of pacer.drainForeign()) store.recordEvent({ runId: o.runId, atMs: clock.now(), kind: 'checkpoint-fallback', detail: `checkpoint ${f.id} completed, triggered by Flink (the fallback interval)`, data: f });
        if (r.kind !== 'waiting') continue;
        await clock.sleep(pacerSleepMs(r, pacer, clock.now(), o.pacerMaxSleepMs));
      } catch (e) {
        recordError('pacer', e);
        await clock.sleep(1000);
      }
    }
  })();
  let lastStatus = -Infinity;
  while (!o.shouldStop()) {
    const started = clock.now();
    if (o.paused?.()) {
      await clock.sleep(o.tickMs);
      continue;
    }
    try {
      const r = await controller.tick();
      if (r.outcome && r.decision.action === 'change') o.log(`control: ${r.decision.fromIntervalMs} → ${r.decision.toIntervalMs} ms (${r.outcome}): ${r.decision.reason}`);
      if (started - lastStatus >= o.statusEveryMs) {
        o.log(statusLine(r, controller, o.recoveryTargetS));
        lastStatus = started;
      }
      await o.onTick?.(r);
    } catch (e) {
      recordError('tick', e);
    }
    await clock.sleep(Math.max(0, o.tickMs - (clock.now() - started)));
  }
  await pacing;
}
