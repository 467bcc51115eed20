/**
 * How many events/s one job replica sustains on this machine: a staircase of input rates, each
 * held for a while, with the replica's source throughput and lag sampled every second.
 * Run: npx tsx bench/replica-capacity.ts [iot|ysb|dedup] [parallelism] [seconds-per-step] [rates, e.g. 2000,4000]
 *        [--interval MS (Flink's own checkpoint interval, default 5000)] [--flink KEY=VALUE …(job.flinkConf)]
 *        [--retention S] [--payload BYTES] [--attributes N] (dedup: job.dedupRetention, job.dedupStatePayloadBytes,
 *        job.dedupStateAttributes)
 *   e.g. --interval 1000 --flink execution.checkpointing.incremental=false: full checkpoints (Flink's
 *   default), every second.
 * Each step also reports the replica's latest completed checkpoint (size, duration): the state a
 * rate builds up (the dedup job's grows with rate × retention, so hold a rate longer than that).
 * (dedup runs with its defaults, DEDUP_DEFAULTS: 60 s retention, 300 B of state per id, 20 % repeats,
 * unless --retention or --payload say otherwise)
 */
import { builtInJob } from '../src/core/jobs.js';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { JobSampler } from '../src/app/observe.js';
import { replayWorkload } from '../src/app/replay.js';
import { resolveConfig } from '../src/config/schema.js';
import { KafkajsMessageBus, startLocalStack, SystemClock } from '../src/compose.js';
import { RestFlinkEngine } from '../src/adapters/flink-rest/rest-flink-engine.js';
import { DEDUP_DEFAULTS, eventGenerator, JOB_KINDS, type DedupOptions, type JobKind } from '../src/core/load/events.js';
import { seededRandom } from '../src/core/random.js';
import { report, stats } from './lib.js';

const { values: flags, positionals: args } = parseArgs({ allowPositionals: true, strict: true, options: { interval: { type: 'string', default: '5000' }, flink: { type: 'string', multiple: true, default: [] }, retention: { type: 'string' }, payload: { type: 'string' }, attributes: { type: 'string' } } });
const job = (args[0] ?? 'iot') as JobKind;
if (!JOB_KINDS.includes(job)) throw new Error(`job must be one of ${JOB_KINDS.join(', ')}, got ${job}`);
const parallelism = Number(args[1] ?? 1);
const stepSec = Number(args[2] ?? 20);
const rates = args[3]?.split(',').map(Number) ?? [500, 1000, 2000, 4000, 8000, 16_000];
const checkpointIntervalMs = Number(flags.interval);
if (!(checkpointIntervalMs > 0)) throw new Error(`--interval must be a positive number of ms, got ${flags.interval}`);
const flinkConf = Object.fromEntries(flags.flink!.map((kv) => {
  const i = kv.indexOf('=');
  if (i <= 0) throw new Error(`--flink takes KEY=VALUE, got ${kv}`);
  return [kv.slice(0, i), kv.slice(i + 1)];
}));
const nonNegative = (name: string, v: string | undefined, fallback: number) => {
  if (v === undefined) return fallback;
  if (!(Number(v) >= 0)) throw new Error(`--${name} must be a number ≥ 0, got ${v}`);
  return Number(v);
};
const dedup: DedupOptions = { ...DEDUP_DEFAULTS, retentionMs: nonNegative('retention', flags.retention, DEDUP_DEFAULTS.retentionMs / 1000) * 1000, statePayloadBytes: nonNegative('payload', flags.payload, DEDUP_DEFAULTS.statePayloadBytes), stateAttributes: nonNegative('attributes', flags.attributes, DEDUP_DEFAULTS.stateAttributes) };
const descriptor = builtInJob(job, dedup, flinkConf);
const clock = new SystemClock();
// Other work on the machine lowers what one replica sustains: recorded with the results.
const loadBefore = os.loadavg();
const stack = await startLocalStack(resolveConfig({ stack: { name: 'bench-capacity' } }), console.log, true);
const rows = [];
try {
  const bus = new KafkajsMessageBus(stack.bootstrap);
  for (const t of ['c-in', 'c-out', 'c-audit']) await bus.ensureTopic(t, 4);
  const r = await stack.startReplica({ name: `${job}-1`, job: descriptor, checkpointIntervalMs, parallelism, inputTopic: 'c-in', outputTopic: 'c-out', auditTopic: 'c-audit', groupId: 'c' });
  const flink = new RestFlinkEngine(r.restUrl);
  const sampler = new JobSampler(flink, clock);
  for (const rate of rates) {
    const samples: Awaited<ReturnType<JobSampler['sample']>>[] = [];
    let done = false;
    const watch = (async () => {
      while (!done) {
        samples.push(await sampler.sample());
        await clock.sleep(1000);
      }
    })();
    await replayWorkload({ bus, clock, topic: 'c-in', schedule: new Array(stepSec).fill(rate), generate: eventGenerator(job, seededRandom(rate), dedup) });
    done = true;
    await watch;
    const tail = samples.slice(Math.floor(samples.length / 3));
    const row = {
      inputEps: rate,
      processedEps: stats(tail.flatMap((s) => (s.inputEps === undefined ? [] : [s.inputEps]))).median,
      lagStart: tail[0]?.lag,
      lagEnd: tail[tail.length - 1]?.lag,
      p99LatencyMs: stats(tail.flatMap((s) => (s.latencyP99Ms === undefined ? [] : [s.latencyP99Ms]))).median,
      ...(await lastCheckpoint(flink)),
    };
    console.log(row);
    rows.push(row);
    if ((row.lagEnd ?? 0) > rate * stepSec * 0.5) break; // hopelessly behind: stop climbing
  }
  await bus.close();
} finally {
  await stack.down();
}
/** The latest completed checkpoint: full state size and the incremental part written, MB, and its duration. */
async function lastCheckpoint(flink: RestFlinkEngine) {
  const [jobInfo] = await flink.listJobs();
  const cp = jobInfo ? (await flink.checkpoints(jobInfo.id)).latestCompleted : undefined;
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  return cp ? { checkpointStateMb: mb(cp.stateSizeBytes), checkpointedMb: mb(cp.checkpointedSizeBytes), checkpointDurationMs: cp.endToEndDurationMs } : {};
}

// One results file per job (the IoT one keeps its name) and per list of rates given.
// Flink options that change the physics (the job's defaults and --flink) name the file too: -full,
// -heap, -bloom, or -KEY=VALUE.
const FLINK_TAGS: Record<string, string> = { 'execution.checkpointing.incremental=false': '-full', 'state.backend.type=hashmap': '-heap', 'state.backend.rocksdb.use-bloom-filter=true': '-bloom' };
const heap = descriptor.flinkConf['state.backend.type'] === 'hashmap';
const flinkTags = Object.entries(descriptor.flinkConf).filter(([k]) => !k.startsWith('taskmanager.memory.') && !(heap && k.startsWith('state.backend.rocksdb.'))).map(([k, v]) => FLINK_TAGS[`${k}=${v}`] ?? `-${k.split('.').pop()}=${v}`);
const variant = [args[3] ? `-${rates.join('-')}` : '', checkpointIntervalMs === 5000 ? '' : `-ci${checkpointIntervalMs}`, ...flinkTags, flags.retention === undefined ? '' : `-r${flags.retention}s`, flags.payload === undefined ? '' : `-p${flags.payload}`, flags.attributes === undefined ? '' : `-a${flags.attributes}`, parallelism === 1 ? '' : `-par${parallelism}`].join('');
report(`replica-capacity${job === 'iot' ? '' : `-${job}`}${variant}`, { job, rates, parallelism, stepSec, checkpointIntervalMs, flinkConf: descriptor.flinkConf, ...(job === 'dedup' ? { dedup } : {}), note: 'one replica alone on the stack, with Kafka and the replayer', loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: os.loadavg()[0] }, rows);
