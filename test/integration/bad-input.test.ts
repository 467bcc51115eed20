import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startReplica } from '../../src/adapters/local/flink-replica.js';
import { requireJavaAndMaven } from '../../src/adapters/local/maven.js';
import { RunDir, stackMarker } from '../../src/adapters/local/run-dir.js';
import { pidsWithMarker } from '../../src/adapters/system/processes.js';
import { khaosHome, repoRoot } from '../../src/compose.js';
import { expectExit } from '../support/khaos-cli.js';
import { buildOwnJob } from '../support/own-job.js';
import { khaos, testStack } from './helpers.js';

describe('bad input and a hostile machine: clear errors, nothing left running', () => {
  it('a busy Kafka port is named, with what to do, and no process is left', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(testStack('busy', { stack: { kafkaPort: port } })).rejects.toMatchObject({ kind: 'environment', message: expect.stringContaining(`port ${port}`), hint: expect.stringContaining('ss -ltnp') });
      expect(pidsWithMarker(stackMarker('it-busy'))).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('a missing job jar is refused before any JVM starts', async () => {
    const run = new RunDir('it-nojar', path.join(khaosHome(), 'stacks', 'it-nojar'));
    const spec = { name: 'r', jobClass: 'x', jobArgs: [], taskManagers: 1, spareTaskManagers: 0, checkpointIntervalMs: 1000, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000, jobManagerHeapMb: 128, taskHeapMb: 64, managedMb: 16, startTimeoutMs: 1000 };
    await expect(startReplica(run, 'cp', '/nonexistent/khaos-jobs.jar', spec, () => undefined)).rejects.toMatchObject({ kind: 'bad-input', hint: expect.stringContaining('mvn -f jobs/pom.xml package') });
    expect(pidsWithMarker(stackMarker('it-nojar'))).toEqual([]);
  });

  it('a job that fails at start: exit 2, the JobManager log’s last exception and its root cause in the message, the fix in the hint, nothing left running', async () => {
    buildOwnJob(repoRoot);
    // The example job with a delivery guarantee it does not know: its main() throws before the job is built.
    const example = fs.readFileSync(path.join(repoRoot, 'examples', 'own-job', 'khaos.yaml'), 'utf8');
    const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-bad-job-')), 'khaos.yaml');
    fs.writeFileSync(config, example.replace(/^ {2}name: own-job$/m, '  name: it-bad-job').replace("'{txnPrefix}']", "'{txnPrefix}', --delivery-guarantee, bogus]"));
    const r = await khaos(['stack', 'up', '--config', config]);
    expectExit(r, 2);
    expect(r.out).toMatch(/the JobManager log's last exception:\n {2}\S+Exception: .*(\n {2}Caused by: .*)*\n {2}Caused by: java\.lang\.IllegalArgumentException: No enum constant org\.apache\.flink\.connector\.base\.DeliveryGuarantee\.BOGUS\n/);
    expect(r.out).toMatch(/→ the job threw while starting: fix what the exception names/);
    expect(pidsWithMarker(stackMarker('it-bad-job'))).toEqual([]);
  });

  it('no Java or Maven on PATH says what to install', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => requireJavaAndMaven()).toThrow(expect.objectContaining({ kind: 'environment', message: 'java and mvn not found on PATH', hint: expect.stringContaining('apt-get install') }));
    } finally {
      process.env.PATH = saved;
    }
  });
});
