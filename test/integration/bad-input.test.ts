import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startReplica } from '../../src/adapters/local/flink-replica.js';
import { requireJavaAndMaven } from '../../src/adapters/local/maven.js';
import { RunDir, stackMarker } from '../../src/adapters/local/run-dir.js';
import { pidsWithMarker } from '../../src/adapters/system/processes.js';
import { khaosHome } from '../../src/compose.js';
import { testStack } from './helpers.js';

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
