import { parseArgs } from 'node:util';
import { runDemo } from '../app/demo.js';
import { replayWorkload } from '../app/replay.js';
import { KhaosError, badInput } from '../core/errors.js';
import { eventGenerator } from '../core/workload/events.js';
import { seededRandom } from '../core/random.js';
import { replaySchedule } from '../core/workload/trace.js';
import { demoDeps, downStack, loadTrace, messageBusAt, stacks, startLocalStack, systemClock, workloadsDir } from '../compose.js';
import { analyzeCommand } from './analyze.js';
import { controlCommand } from './control.js';
import { configFrom, log, withOwnedStack } from './common.js';
import { modelsCommand } from './models.js';
import { profileCommand } from './profile.js';

const USAGE = `khaos — checkpoint intervals chosen from chaos experiments

  khaos demo [options]            the main job end to end on a local stack: replay, kill, recover, reconcile
  khaos stack up [options]        start Kafka and one job replica, and leave them running
  khaos stack status [--json]     what runs, with ports and pids
  khaos stack down [--name N]     stop every process of a stack
  khaos replay [options]          produce a trace into a Kafka topic at its scheduled rates
  khaos analyze <trace> [--json]  phase 1: steady state, load levels and injection points (--help for options)
  khaos profile --config FILE      phase 2: parallel chaos profiling (list, --resume ID, discard, export; --help)
  khaos models fit|compare|show   latency and recovery models from failure measurements (--help for options)
  khaos control --config FILE     phase 3: control a job's checkpoint interval (local stack, or --attach URL; status, decisions; --help)

options:
  --config FILE       YAML config (see docs/config.md); flags below override it
  --name NAME         stack name (default "default")
  --job iot|ysb       sample job (default iot)
  --interval DUR      checkpoint interval, e.g. 5s
  --trace FILE        trace path or file name in shared/workloads (default nyc_taxi.csv)
  --peak N            events/s at the trace maximum
  --compression X     trace seconds per wall second
  --duration DUR      replay length in wall time, e.g. 120s
  --failure kill|freeze, --fail-at DUR   what to inject, and when (demo)
  --bootstrap H:P, --topic T             (replay) where to produce; default: the stack's broker
  --seed N            event generator seed
`;

const OPTIONS = {
  config: { type: 'string' },
  name: { type: 'string' },
  job: { type: 'string' },
  interval: { type: 'string' },
  trace: { type: 'string' },
  peak: { type: 'string' },
  compression: { type: 'string' },
  duration: { type: 'string' },
  failure: { type: 'string' },
  'fail-at': { type: 'string' },
  bootstrap: { type: 'string' },
  topic: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function demo(flags: Flags): Promise<number> {
  const c = configFrom(flags);
  const trace = loadTrace(c.replay.trace);
  return withOwnedStack(c, async (stack) => {
    const deps = demoDeps(stack, log);
    try {
      const r = await runDemo(deps, {
        job: c.job.kind, trace, seed: c.replay.seed, checkpointIntervalMs: c.job.checkpointIntervalMs, parallelism: c.job.parallelism,
        partitions: c.stack.partitions, peakRateEps: c.replay.peakRateEps, compression: c.replay.compression, startOffsetSec: c.replay.startOffsetSec,
        durationSec: c.replay.durationSec, failAtSec: c.chaos.atSec, failure: c.chaos.failure, freezeMs: c.chaos.freezeForMs, recoveryTimeoutMs: c.chaos.recoveryTimeoutMs,
      });
      return r.reconciliation.ok && r.timeline?.recoveredAtMs !== undefined ? 0 : 1;
    } finally {
      await deps.bus.close();
    }
  });
}

async function stackCommand(sub: string | undefined, flags: Flags): Promise<number> {
  if (sub === 'status') {
    const all = stacks();
    if (flags.json) console.log(JSON.stringify(all, null, 2));
    else if (all.length === 0) console.log('no stacks');
    else
      for (const s of all) {
        console.log(`stack ${s.name} (${s.dir})${s.processes.length === 0 ? ': down' : ''}`);
        if (s.kafka && s.processes.length > 0) console.log(`  kafka ${s.kafka}`);
        for (const r of s.replicas) console.log(`  replica ${r.name}: REST ${r.restUrl}, checkpoint interval ${r.intervalMs} ms`);
        for (const p of s.processes) console.log(`  pid ${p.pid}  ${p.name}`);
      }
    return 0;
  }
  if (sub === 'down') {
    const names = flags.name ? [flags.name] : stacks().map((s) => s.name);
    for (const name of names) log(`stack ${name}: stopped ${await downStack(name)} process(es)`);
    return 0;
  }
  if (sub === 'up') {
    const c = configFrom(flags);
    const stack = await startLocalStack(c, log, false);
    try {
      const bus = messageBusAt(stack.bootstrap);
      const topics = { input: `khaos-${c.job.kind}-input`, output: `khaos-${c.job.kind}-output`, audit: `khaos-${c.job.kind}-audit` };
      for (const t of Object.values(topics)) await bus.ensureTopic(t, c.stack.partitions);
      await bus.close();
      const r = await stack.startReplica({ name: `${c.job.kind}-1`, job: c.job.kind, checkpointIntervalMs: c.job.checkpointIntervalMs, parallelism: c.job.parallelism, inputTopic: topics.input, outputTopic: topics.output, auditTopic: topics.audit, groupId: `khaos-${c.job.kind}-1` });
      log(`stack ${c.stack.name} up: Kafka ${stack.bootstrap}, replica ${r.name} at ${r.restUrl}. Stop it with \`khaos stack down --name ${c.stack.name}\``);
      return 0;
    } catch (e) {
      await stack.down();
      throw e;
    }
  }
  throw badInput(`unknown stack command "${sub ?? ''}"`, 'use: khaos stack up|status|down');
}

async function replay(flags: Flags): Promise<number> {
  const c = configFrom(flags);
  const bootstrap = flags.bootstrap ?? stacks().find((s) => s.name === c.stack.name && s.processes.length > 0)?.kafka;
  if (!bootstrap) throw badInput('no Kafka to replay into', 'give --bootstrap HOST:PORT, or start a stack with `khaos stack up`');
  const topic = flags.topic ?? `khaos-${c.job.kind}-input`;
  const schedule = replaySchedule(loadTrace(c.replay.trace), c.replay);
  const bus = messageBusAt(bootstrap);
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  try {
    await bus.ensureTopic(topic, c.stack.partitions);
    log(`replaying ${c.replay.trace} into ${topic} at ${bootstrap}: ${schedule.length} s, ${schedule.reduce((a, b) => a + b, 0)} events`);
    const r = await replayWorkload({
      bus, clock: systemClock(), topic, schedule, generate: eventGenerator(c.job.kind, seededRandom(c.replay.seed)), shouldStop: () => stop,
      onSecond: (s) => log(`second ${s.second}: ${s.produced}/${s.scheduled} events${s.lateMs > 0 ? `, ${s.lateMs} ms late` : ''}`),
    });
    const achieved = r.producedTotal / (r.wallMs / 1000);
    log(`done: ${r.producedTotal}/${r.scheduledTotal} events in ${(r.wallMs / 1000).toFixed(1)} s: achieved ${achieved.toFixed(0)} ev/s vs scheduled ${(r.scheduledTotal / schedule.length).toFixed(0)} ev/s`);
    if (flags.json) console.log(JSON.stringify({ scheduled: r.scheduledTotal, produced: r.producedTotal, wallMs: r.wallMs, achievedEps: achieved }));
    return 0;
  } finally {
    await bus.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  // Commands with their own flags parse them themselves.
  const out = (s: string) => void process.stdout.write(s);
  if (argv[0] === 'models') return modelsCommand(argv.slice(1), { out });
  if (argv[0] === 'profile') return profileCommand(argv.slice(1));
  if (argv[0] === 'control') return controlCommand(argv.slice(1));
  if (argv[0] === 'analyze') return analyzeCommand(argv.slice(1), { out, workloadsDir: workloadsDir() });
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw badInput((e as Error).message, 'see `khaos --help`');
  }
  const [cmd, sub] = parsed.positionals;
  if (parsed.values.help || !cmd) {
    process.stdout.write(USAGE);
    return cmd || parsed.values.help ? 0 : 2;
  }
  switch (cmd) {
    case 'demo':
      return demo(parsed.values);
    case 'stack':
      return stackCommand(sub, parsed.values);
    case 'replay':
      return replay(parsed.values);
    default:
      throw badInput(`unknown command "${cmd}"`, 'see `khaos --help`');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof KhaosError) {
      process.stderr.write(`khaos: ${e.message}\n${e.hint ? `  → ${e.hint}\n` : ''}`);
      process.exit(e.kind === 'bug' ? 70 : 2);
    }
    process.stderr.write(`khaos: internal error (a bug, please report): ${(e as Error).stack ?? e}\n`);
    process.exit(70);
  },
);
