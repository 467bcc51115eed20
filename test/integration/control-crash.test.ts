import { sampleIdField } from '../../src/core/jobs.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { awaitReconciliation, flushWindows } from '../../src/app/reconcile-output.js';
import { replayWorkload, type ReplayResult } from '../../src/app/replay.js';
import { KafkajsMessageBus, SystemClock } from '../../src/compose.js';
import { eventGenerator } from '../../src/core/load/events.js';
import { seededRandom } from '../../src/core/random.js';
import { commandLine, pidsWithMarker } from '../../src/adapters/system/processes.js';
import { khaos, progress } from './helpers.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('crash safety of the restart actuator: the controller SIGKILLed at each step of a reconfiguration', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-crash-'));
  const config = path.join(dir, 'crash.yaml');
  fs.writeFileSync(config, ['stack:', '  name: it-crash', '  heartbeatTimeout: 5s', 'job:', '  kind: iot', '  checkpointInterval: 4s', 'control:', '  tick: 1s', ''].join('\n'));
  let restUrl = '';
  let bootstrap = '';

  beforeAll(async () => {
    const up = await khaos(['stack', 'up', '--config', config]);
    expect(up.code, up.out).toBe(0);
    restUrl = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(up.out)![1]!;
    bootstrap = /Kafka (127\.0\.0\.1:\d+)/.exec(up.out)![1]!;
  });
  afterAll(async () => {
    await khaos(['stack', 'down', '--name', 'it-crash']);
  });

  it('each time the controller started again leaves the job RUNNING with one interval, and the output reconciles', async () => {
    const flink = new RestFlinkEngine(restUrl);
    const bus = new KafkajsMessageBus(bootstrap);
    let stop = false;
    let replay: Promise<ReplayResult> | undefined;
    try {
      replay = replayWorkload({ bus, clock: new SystemClock(), topic: 'khaos-iot-input', schedule: new Array(900).fill(300), generate: eventGenerator('iot', seededRandom(11)), shouldStop: () => stop });
      const steps: [string, string][] = [['planned', ''], ['stopping', ':200'], ['stopped', ''], ['relaunching', ':2500']];
      for (const [i, [step, delay]] of steps.entries()) {
        const target = i % 2 === 0 ? 2000 : 4000;
        const args = ['control', '--config', config, '--stack', 'it-crash', '--actuator', 'restart', '--policy', `static:${target}ms`];
        const crashed = await khaos(args, { env: { KHAOS_CRASH_AT: `${step}${delay}` } });
        progress(`crash at ${step}: ${crashed.signal ?? crashed.code}`);
        expect(crashed.signal, crashed.out).toBe('SIGKILL');
        const again = await khaos([...args, '--duration', '5s']);
        progress(`restarted after ${step}: ${again.out.split('\n').filter((l) => /resum|rolled|done|→/.test(l)).join(' | ')}`);
        expect(again.code, again.out).toBe(0);
        expect(again.out).toMatch(/resuming reconfiguration/);
        // One job, RUNNING, checkpointing at the interval asked for; one JobManager process.
        const interval = await until(`job RUNNING at ${target} ms after the crash at ${step}`, async () => {
          const jobs = (await flink.listJobs()).filter((j) => j.state === 'RUNNING');
          if (jobs.length !== 1) return undefined;
          const ms = (await flink.checkpointConfig(jobs[0]!.id)).intervalMs;
          return ms === target ? ms : undefined;
        });
        expect(interval).toBe(target);
        const jobManagers = pidsWithMarker('-Dkhaos.stack=it-crash').filter((pid) => (commandLine(pid) ?? '').includes('StandaloneApplicationClusterEntryPoint'));
        expect(jobManagers).toHaveLength(1);
      }
      stop = true;
      const produced = await replay;
      await flushWindows(bus, 'khaos-iot-input', sampleIdField('iot'), Date.now() + 120_000);
      const r = await awaitReconciliation(bus, new SystemClock(), 'khaos-iot-audit', produced.producedPerKey, 120_000, progress);
      expect(r).toMatchObject({ ok: true, duplicateWindows: 0 });
    } finally {
      stop = true;
      await replay?.catch(() => undefined);
      await bus.close();
    }
  });
});
