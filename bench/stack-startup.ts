/**
 * Local stack start-up time: cold (empty Maven repository and Khaos cache: every jar downloaded)
 * and warm (cached classpaths), to Kafka up and to the IoT replica RUNNING.
 * Run: npx tsx bench/stack-startup.ts [warm-runs]   (cold run downloads ~300 MB into a temp dir)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { report, stats } from './lib.js';

const warmRuns = Number(process.argv[2] ?? 3);
const script = `
import { resolveConfig } from '../src/config/schema.js';
import { KafkajsMessageBus, startLocalStack } from '../src/compose.js';
const t0 = Date.now();
const stack = await startLocalStack(resolveConfig({ stack: { name: 'bench-start' } }), () => undefined, true);
const kafkaMs = Date.now() - t0;
const bus = new KafkajsMessageBus(stack.bootstrap);
for (const t of ['s-in', 's-out', 's-audit']) await bus.ensureTopic(t, 4);
await bus.close();
await stack.startReplica({ name: 'iot-1', job: 'iot', checkpointIntervalMs: 5000, parallelism: 2, inputTopic: 's-in', outputTopic: 's-out', auditTopic: 's-audit', groupId: 'g' });
const runningMs = Date.now() - t0;
await stack.down();
console.log(JSON.stringify({ kafkaMs, runningMs }));
`;
const file = path.join(path.dirname(new URL(import.meta.url).pathname), '.startup-probe.ts');
fs.writeFileSync(file, script);
const probe = (env: NodeJS.ProcessEnv) => {
  const r = spawnSync('npx', ['tsx', file], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return JSON.parse(line) as { kafkaMs: number; runningMs: number };
};
try {
  const coldHome = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-cold-'));
  const t0 = Date.now();
  const cold = probe({ KHAOS_HOME: coldHome, MAVEN_OPTS: `-Dmaven.repo.local=${path.join(coldHome, 'm2')}` });
  const coldWall = Date.now() - t0;
  fs.rmSync(coldHome, { recursive: true, force: true });
  const warm = Array.from({ length: warmRuns }, () => probe({}));
  report(
    'stack-startup',
    { cold: 'empty Maven repository and Khaos cache (downloads every jar; the job jar already built)', warm: 'cached classpaths, Maven not run', job: 'iot, parallelism 2 + 1 spare TaskManager' },
    { cold: { ...cold, wallWithTsxMs: coldWall }, warm: { kafkaMs: stats(warm.map((w) => w.kafkaMs)), runningMs: stats(warm.map((w) => w.runningMs)) } },
  );
} finally {
  fs.rmSync(file, { force: true });
}
