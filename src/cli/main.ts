import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { startStackReplica } from '../app/demo.js';
import { replayFromConfig } from '../app/replay.js';
import { KhaosError, badInput } from '../core/errors.js';
import { downStack, loadTrace, messageBusAt, stacks, startLocalStack, systemClock } from '../compose.js';
import { addAnalyzeCommand } from './analyze.js';
import { addControlCommand } from './control.js';
import { addDashboardCommand } from './dashboard.js';
import { addDemoCommand } from './demo.js';
import { addEvaluateCommand } from './evaluate.js';
import { EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { addK8sCommand } from './k8s.js';
import { act, configFrom, configureTree, log, processIo, runProgram, withConfigOptions, type CliIo, type ConfigFlags } from './common.js';
import { addModelsCommand } from './models.js';
import { addProfileCommand } from './profile.js';
import { addSimCommand } from './sim.js';

function stackStatus(flags: { json?: boolean }): number {
  const all = stacks();
  if (flags.json) console.log(JSON.stringify(all, null, 2));
  else if (all.length === 0) console.log('no stacks');
  else
    for (const s of all) {
      console.log(`stack ${s.name} (${s.dir})${s.processes.length === 0 ? ': down' : ''}`);
      if (s.kafka && s.processes.length > 0) console.log(`  kafka ${s.kafka}`);
      for (const r of s.replicas) console.log(`  replica ${r.name}: REST ${r.restUrl}, ${r.session ? 'session cluster (its jobs set their own interval)' : `checkpoint interval ${r.intervalMs} ms`}`);
      for (const p of s.processes) console.log(`  pid ${p.pid}  ${p.name}`);
    }
  return 0;
}

async function stackDown(flags: { name?: string }): Promise<number> {
  const names = flags.name ? [flags.name] : stacks().map((s) => s.name);
  for (const name of names) log(`stack ${name}: stopped ${await downStack(name)} process(es)`);
  return 0;
}

async function stackUp(flags: Omit<ConfigFlags, 'job'> & { job?: string | false; topics?: string }): Promise<number> {
  // --no-job and --job <kind> share the flag: false is no job, not a job kind.
  const c = configFrom({ ...flags, job: flags.job === false ? undefined : flags.job });
  const stack = await startLocalStack(c, log, false);
  try {
    if (flags.job === false) return await sessionUp(stack, c, flags.topics?.split(',').filter(Boolean) ?? []);
    const bus = messageBusAt(stack.bootstrap);
    const r = await startStackReplica({ orchestrator: stack, bus }, c).finally(() => bus.close());
    log(`stack ${c.stack.name} up: Kafka ${stack.bootstrap}, replica ${r.name} at ${r.restUrl}. Stop it with \`khaos stack down --name ${c.stack.name}\``);
    return 0;
  } catch (e) {
    await stack.down();
    throw e;
  }
}

/** `stack up --no-job`: a Flink session cluster beside Kafka, for a job the user submits their own way. */
async function sessionUp(stack: Awaited<ReturnType<typeof startLocalStack>>, c: ReturnType<typeof configFrom>, topics: string[]): Promise<number> {
  const taskManagers = c.job.parallelism + c.stack.spareTaskManagers;
  // The broker creates no topic on first use: a job's source fails without its input, its sink without its output.
  const bus = messageBusAt(stack.bootstrap);
  try {
    for (const t of topics) await bus.ensureTopic(t, c.stack.partitions);
  } finally {
    await bus.close();
  }
  if (topics.length > 0) log(`topics ${topics.join(', ')} created with ${c.stack.partitions} partitions (stack.partitions)`);
  const r = await stack.startSession('session', taskManagers);
  log(`stack ${c.stack.name} up: Kafka and a Flink session cluster with ${taskManagers} TaskManagers of one slot (job.parallelism ${c.job.parallelism} + stack.spareTaskManagers ${c.stack.spareTaskManagers}), no job`);
  console.log(`kafka  ${stack.bootstrap}\nflink  ${r.restUrl}`);
  console.log(`submit your job with Flink's REST (docs/own-job.md):
  curl -sF jarfile=@your-job.jar ${r.restUrl}/jars/upload       # answers {"filename": ".../<jar-id>", ...}
  curl -s -X POST ${r.restUrl}/jars/<jar-id>/run -H 'content-type: application/json' \\
       -d '{"entryClass": "com.example.YourJob", "programArgsList": ["--your-flag", "value"]}'
then: khaos control --config FILE --attach ${r.restUrl}; stop everything with \`khaos stack down --name ${c.stack.name}\``);
  return 0;
}

async function replay(flags: ConfigFlags & { bootstrap?: string; topic?: string; json?: boolean }): Promise<number> {
  const c = configFrom(flags);
  const bootstrap = flags.bootstrap ?? stacks().find((s) => s.name === c.stack.name && s.processes.length > 0)?.kafka;
  if (!bootstrap) throw badInput('no Kafka to replay into', 'give --bootstrap HOST:PORT, or start a stack with `khaos stack up`');
  const topic = flags.topic ?? `khaos-${c.job.kind}-input`;
  const trace = loadTrace(c.replay.trace);
  const bus = messageBusAt(bootstrap);
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  try {
    const r = await replayFromConfig({ bus, clock: systemClock() }, c, trace, topic, {
      shouldStop: () => stop,
      onStart: (seconds, events) => log(`replaying ${c.replay.trace} into ${topic} at ${bootstrap}: ${seconds} s, ${events} events`),
      onSecond: (s) => log(`second ${s.second}: ${s.produced}/${s.scheduled} events${s.lateMs > 0 ? `, ${s.lateMs} ms late` : ''}`),
    });
    const achieved = r.producedTotal / (r.wallMs / 1000);
    log(`done: ${r.producedTotal}/${r.scheduledTotal} events in ${(r.wallMs / 1000).toFixed(1)} s: achieved ${achieved.toFixed(0)} ev/s vs scheduled ${(r.scheduledTotal / r.scheduleSec).toFixed(0)} ev/s`);
    if (flags.json) console.log(JSON.stringify({ scheduled: r.scheduledTotal, produced: r.producedTotal, wallMs: r.wallMs, achievedEps: achieved }));
    return 0;
  } finally {
    await bus.close();
  }
}

/** The whole CLI: `khaos` and every command below it, printing help and usage errors to `io` (see configureTree). */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command('khaos')
    .description('checkpoint intervals chosen from chaos experiments')
    .addHelpText('after', `\nEvery command has its own help: khaos <command> --help.\nA duration is written like 500ms, 30s, 5min or 2h; a bare number is milliseconds.\n${EXIT_CODES_HELP}`);
  addDemoCommand(program);
  const stack = program.command('stack').description('a local stack (Kafka and job replicas) that outlives the command');
  act(
    withConfigOptions(stack.command('up').description('start Kafka and one job replica (or, with --no-job, a Flink session cluster for your own job), and leave them running')).option(
      '--no-job',
      "start a Flink session cluster without a job (job.parallelism + stack.spareTaskManagers TaskManagers), and print its REST address and Kafka's, to submit your own job to",
    ).option('--topics <t1,t2>', "with --no-job: Kafka topics to create (your job's input and output; the broker creates none on first use)"),
    stackUp,
  );
  act(stack.command('status').description('what runs, with ports and pids').option('--json', 'print the stacks as JSON'), stackStatus);
  act(withConfigOptions(stack.command('down').description('stop every process of a stack'), ['name'], { name: 'the stack to stop (default: every stack)' }), stackDown);
  const replayCommand = withConfigOptions(program.command('replay').description('produce a trace into a Kafka topic at its scheduled rates'))
    .option('--bootstrap <host:port>', "where to produce (default: the broker of the stack --name)")
    .option('--topic <t>', 'topic to produce into (default khaos-<job>-input)')
    .option('--json', 'also print {scheduled, produced, wallMs, achievedEps} as JSON');
  act(replayCommand, replay);
  addAnalyzeCommand(program, io);
  addProfileCommand(program);
  addModelsCommand(program, io);
  addControlCommand(program, io);
  addEvaluateCommand(program, io);
  addDashboardCommand(program);
  addSimCommand(program, io);
  addK8sCommand(program, io);
  return configureTree(program, io);
}

/** Runs the CLI on `argv` (the words after `khaos`); prints what went wrong to `io.err`. Returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await runProgram(buildProgram(io), argv);
  } catch (e) {
    if (e instanceof KhaosError) io.err(`khaos: ${e.message}\n${e.hint ? `  → ${e.hint}\n` : ''}`);
    else io.err(`khaos: internal error (a bug, please report): ${(e as Error).stack ?? e}\n`);
    return exitCodeFor(e);
  }
}

// Run only as the entry point (bin/khaos.js, `tsx src/cli/main.ts`), not when a test imports buildProgram.
const entry = process.argv[1];
if (entry && fs.existsSync(entry) && fs.realpathSync(entry) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
