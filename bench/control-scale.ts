/**
 * Scale of the control plane (issue 8): how many jobs one controller process handles at a 10 s
 * tick on this machine. Each job is a SIMULATED fluid job behind the FlinkEngine port
 * (src/adapters/sim/sim-flink-engine.ts), controlled by the real Controller (khaos+) with the paced
 * actuator (the real Pacer), all driven by ONE event loop: each job's controller ticks every 10 s
 * of simulated time (jobs staggered across the tick), its pacer as runControlLoop runs it (sleeping
 * until its checkpoint is due, at most 250 ms). Time is a ManualClock moved from event to event, so
 * the wall time a round of 10 simulated seconds takes is the CPU the process needs for it. Flink
 * REST latency is NOT included: every REST call answers in-process. All jobs record into one
 * shared store, as one process with one SQLite file would (here the memory store, so its rows
 * stay on the heap).
 * Run: node --expose-gc --import tsx bench/control-scale.ts [simulated minutes per N] [N,N,...] [pacer max sleep ms]
 */
import { Controller } from '../src/app/control/controller.js';
import { pacerSleepMs } from '../src/app/control/loop.js';
import { Pacer } from '../src/app/control/pacer.js';
import { JobSampler } from '../src/app/observe.js';
import { resolveConfig } from '../src/config/schema.js';
import { createPolicy } from '../src/core/control/policies.js';
import { LAG_SLACK_SECONDS } from '../src/core/profiling/recovery.js';
import { seededRandom } from '../src/core/random.js';
import { quantileSorted } from '../src/core/stats.js';
import { DEFAULT_FLUID_PARAMS } from '../src/core/sim/fluid-params.js';
import { fluidControlModels } from '../src/core/sim/fluid-models.js';
import { ManualClock } from '../src/adapters/sim/manual-clock.js';
import { MemoryControlStore } from '../src/adapters/memory/memory-control-store.js';
import { SimFlinkEngine } from '../src/adapters/sim/sim-flink-engine.js';
import { report, stats } from './lib.js';

const spanMin = Number(process.argv[2] ?? 10);
const ns = (process.argv[3] ?? '250,500,1000,2000,4000').split(',').map(Number);
const pacerMaxSleepMs = Number(process.argv[4] ?? 250);
const TICK_MS = 10_000;
/** Stop an N early once this many rounds did not fit in 10 s of wall time. */
const MISSES_TO_STOP = 3;

const control = { tick: '10s', window: '300s', evaluateEvery: '60s', afterChange: '120s', minUptime: '0s', recoveryTarget: '120s' };
const config = resolveConfig({ stack: { name: 'bench-scale' }, control });
const params = DEFAULT_FLUID_PARAMS;
const models = fluidControlModels(params);
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
const q = (xs: number[], p: number) => quantileSorted([...xs].sort((a, b) => a - b), p);

/** 16 input profiles shared by the jobs: a base rate, and for half of them a step up at mid-span. */
function rateProfiles(seconds: number): number[][] {
  const rnd = seededRandom(8);
  return Array.from({ length: 16 }, (_, k) => {
    const base = 2000 + rnd.next() * 5000;
    const stepTo = k % 2 === 0 ? Math.min(10_500, base * 1.6) : base;
    return Array.from({ length: seconds }, (_, s) => (s < seconds / 2 ? base : stepTo) * (1 + 0.05 * Math.sin(s / 30 + k)));
  });
}

interface Ev {
  at: number;
  seq: number;
  job: number;
  kind: 'tick' | 'pacer' | 'kill';
}

/** A binary min-heap on (at, seq). */
class Queue {
  private h: Ev[] = [];
  get size() {
    return this.h.length;
  }
  push(e: Ev) {
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): Ev | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
  peek(): Ev | undefined {
    return this.h[0];
  }
}
const less = (a: Ev, b: Ev) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

async function runN(n: number) {
  gc?.();
  const clock = new ManualClock();
  const t0 = clock.now();
  const spanMs = spanMin * 60_000;
  const profiles = rateProfiles(spanMin * 60);
  const store = new MemoryControlStore();
  const policy = createPolicy('khaos+', config.control.options);
  const rnd = seededRandom(n);
  const jobs = Array.from({ length: n }, (_, i) => {
    const engine = new SimFlinkEngine(clock, { params, rateEps: profiles[i % profiles.length]!, fallbackIntervalMs: config.control.fallbackIntervalMs * 10, name: `job-${i}` });
    const pacer = new Pacer(engine, clock, 60_000);
    const runId = `scale-${n}-${i}`;
    store.createRun({ id: runId, startedAtMs: t0, status: 'running', ownerPid: process.pid, policy: policy.name, actuator: 'paced', dryRun: false, restUrl: engine.restUrl, jobId: `job-${i}`, fallbackIntervalMs: 600_000, config: {} });
    const controller = new Controller(
      { sampler: new JobSampler(engine, clock, { jobMetrics: true }), clock, store, policy, actuator: pacer, pacer, models },
      {
        runId, windowMs: config.control.windowMs, dryRun: false, recoveryTimeoutMs: config.control.recoveryTimeoutMs,
        forecast: { enabled: true, horizonMs: config.control.forecastHorizonMs, historyMs: config.control.forecastHistoryMs },
        recovery: { baselineMs: config.control.windowMs, sustainMs: 5000, sampleEveryMs: 1000, slackSeconds: LAG_SLACK_SECONDS, requireRestart: true },
      },
      t0 - 3_600_000,
    );
    return { engine, pacer, controller };
  });
  const afterSetup = process.memoryUsage();
  const queue = new Queue();
  let seq = 0;
  for (let i = 0; i < n; i++) {
    const offset = Math.floor((i * TICK_MS) / n);
    queue.push({ at: t0 + offset, seq: seq++, job: i, kind: 'tick' });
    queue.push({ at: t0 + offset, seq: seq++, job: i, kind: 'pacer' });
    // 1 % of the jobs lose a TaskManager once.
    if (rnd.next() < 0.01) queue.push({ at: t0 + Math.floor(rnd.next() * spanMs), seq: seq++, job: i, kind: 'kill' });
  }
  const tickMs: number[] = [];
  const tickNoSimMs: number[] = [];
  const rounds: { wallMs: number; noSimWallMs: number; cpuMs: number; ticks: number; pacerTicks: number }[] = [];
  let errors = 0;
  let misses = 0;
  let roundEnd = t0 + TICK_MS;
  let w0 = performance.now();
  let c0 = process.cpuUsage();
  let sim0 = 0;
  let ticks = 0;
  let pacerTicks = 0;
  const simTotal = () => jobs.reduce((s, j) => s + j.engine.simWallMs, 0);
  for (;;) {
    const e = queue.peek();
    if (!e || e.at >= roundEnd) {
      const wallMs = performance.now() - w0;
      const cpu = process.cpuUsage(c0);
      const sim = simTotal();
      const round = { wallMs, noSimWallMs: wallMs - (sim - sim0), cpuMs: (cpu.user + cpu.system) / 1000, ticks, pacerTicks };
      rounds.push(round);
      if (round.noSimWallMs > TICK_MS) misses++;
      console.log(`N=${n} round ${rounds.length}: ${wallMs.toFixed(0)} ms wall (${round.noSimWallMs.toFixed(0)} ms without the simulation), ${ticks} ticks, ${pacerTicks} pacer ticks`);
      if (roundEnd >= t0 + spanMs || misses >= MISSES_TO_STOP || !e) break;
      roundEnd += TICK_MS;
      ticks = 0;
      pacerTicks = 0;
      sim0 = sim;
      w0 = performance.now();
      c0 = process.cpuUsage();
      continue;
    }
    queue.pop();
    clock.advance(e.at - clock.now());
    const j = jobs[e.job]!;
    const now = clock.now();
    if (e.kind === 'kill') {
      j.engine.fail('kill');
    } else if (e.kind === 'tick') {
      const s0 = j.engine.simWallMs;
      const a = performance.now();
      try {
        await j.controller.tick();
      } catch {
        errors++;
      }
      const took = performance.now() - a;
      tickMs.push(took);
      tickNoSimMs.push(took - (j.engine.simWallMs - s0));
      ticks++;
      queue.push({ at: e.at + TICK_MS, seq: seq++, job: e.job, kind: 'tick' });
    } else {
      // As runControlLoop: tick again at once after an action, else sleep as pacerSleepMs says.
      let at = now + 1000;
      try {
        const r = await j.pacer.tick();
        j.pacer.drainForeign();
        at = r.kind !== 'waiting' ? now : now + pacerSleepMs(r, j.pacer, now, pacerMaxSleepMs);
      } catch {
        errors++;
      }
      pacerTicks++;
      queue.push({ at: at === now ? now + 1 : at, seq: seq++, job: e.job, kind: 'pacer' });
    }
  }
  const mem = process.memoryUsage();
  gc?.();
  const memGc = process.memoryUsage();
  const decisions = jobs.reduce((s, _, i) => s + store.decisions(`scale-${n}-${i}`).length, 0);
  const applied = jobs.reduce((s, _, i) => s + store.decisions(`scale-${n}-${i}`).filter((d) => d.outcome === 'applied').length, 0);
  const failures = jobs.reduce((s, j) => s + j.controller.failures, 0);
  const full = rounds.slice(1); // the first round also pays for JIT warm-up
  const noSim = full.map((r) => r.noSimWallMs);
  const worst = Math.max(...noSim);
  return {
    n,
    simulatedSec: (clock.now() - t0) / 1000,
    rounds: rounds.length,
    stoppedEarly: misses >= MISSES_TO_STOP,
    roundWallMs: stats(full.map((r) => r.wallMs)),
    roundWallWithoutSimMs: stats(noSim),
    roundCpuMs: stats(full.map((r) => r.cpuMs)),
    fits10s: misses === 0 && worst <= TICK_MS,
    headroomX: +(TICK_MS / q(noSim, 0.5)).toFixed(2),
    headroomAtWorstRoundX: +(TICK_MS / worst).toFixed(2),
    decisionMsPerJob: { median: q(tickNoSimMs, 0.5), p99: q(tickNoSimMs, 0.99), max: tickNoSimMs.reduce((m, v) => (v > m ? v : m), 0), n: tickNoSimMs.length },
    decisionWithSimMsPerJob: { median: q(tickMs, 0.5), p99: q(tickMs, 0.99) },
    pacerTicksPerRound: stats(full.map((r) => r.pacerTicks)).median,
    memory: {
      rssMiB: mib(mem.rss), heapUsedMiB: mib(mem.heapUsed), heapUsedAfterGcMiB: mib(memGc.heapUsed), rssAfterGcMiB: mib(memGc.rss),
      heapAfterSetupMiB: mib(afterSetup.heapUsed),
      heapPerJobKiB: +((memGc.heapUsed / n) / 1024).toFixed(1),
    },
    storeRows: { decisions, applied },
    failuresSeen: failures,
    tickErrors: errors,
  };
}

const results: Awaited<ReturnType<typeof runN>>[] = [];
for (const n of ns) {
  const r = await runN(n);
  results.push(r);
  console.log(JSON.stringify(r));
  if (!r.fits10s) break;
}
const fitting = results.filter((r) => r.fits10s).map((r) => r.n);
report(
  'control-scale',
  {
    what: 'SIMULATED jobs: one controller process, N jobs each a fluid job behind the FlinkEngine port (src/adapters/sim/sim-flink-engine.ts) + the real Controller (khaos+) + the real Pacer (paced actuator), one event loop, controller tick 10 s per job staggered across the tick',
    flinkRestLatency: 'NOT included: every REST call answers in-process (a real process waits on ~10 REST calls per job per tick, overlapped by the event loop)',
    simulatedSpanMinPerN: spanMin,
    pacer: `as runControlLoop (pacerSleepMs): sleeps until the next checkpoint is due, at most ${pacerMaxSleepMs} ms; while waiting on Flink (a checkpoint in flight), a twentieth of the interval, 50–${pacerMaxSleepMs} ms`,
    store: 'one shared MemoryControlStore for all jobs (a real process: one SQLite file); its rows stay on the heap and count in heapUsed',
    control,
    params: 'DEFAULT_FLUID_PARAMS (capacity 12 000 ev/s, 2.5 s checkpoints), models fluidControlModels, input 2 000–7 000 ev/s (16 profiles, half step ×1.6 at mid-span), 1 % of jobs killed once',
    timing: 'wall time of a round of 10 simulated seconds (all jobs tick once); "without sim" subtracts the time spent advancing the fluid jobs (the stand-in for Flink). Decision time per job = one controller.tick() without the simulation. First round (JIT warm-up) left out',
    caveat: 'machine loaded by a CPU hog and JVMs during the run: pessimistic numbers',
    gcExposed: gc !== undefined,
  },
  { maxNFitting10sTick: fitting.length ? Math.max(...fitting) : 0, byN: results },
);
