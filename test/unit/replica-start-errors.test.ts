import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExit, startReplica } from '../../src/adapters/local/flink-replica.js';
import { RunDir, type JvmSpec } from '../../src/adapters/local/run-dir.js';
import { isAlive, spawnDetached } from '../../src/adapters/system/processes.js';
import type { KhaosError } from '../../src/core/errors.js';

describe('describeExit (why a replica JVM died at start)', () => {
  it('leads with the bind failure, not with what the dying JVM printed after it', () => {
    const log = [
      '10:00:01,001 INFO  ClusterEntrypoint - Starting StandaloneApplicationClusterEntryPoint.',
      '10:00:02,002 ERROR ClusterEntrypoint - Could not start cluster entrypoint StandaloneApplicationClusterEntryPoint.',
      'org.apache.flink.runtime.entrypoint.ClusterEntrypointException: Failed to initialize the cluster entrypoint StandaloneApplicationClusterEntryPoint.',
      'Caused by: java.net.BindException: Could not start actor system on any port in port range 36961',
      '\tat org.apache.flink.runtime.rpc.pekko.PekkoBootstrapTools.startRemoteActorSystem(PekkoBootstrapTools.java:133)',
      'Caused by: java.net.BindException: Could not start actor system on any port in port range 36961',
    ];
    const out = ['Exception in thread "Thread-5" java.lang.NoClassDefFoundError: org/apache/flink/util/IOUtils', 'Caused by: java.lang.ClassNotFoundException: org.apache.flink.util.IOUtils'];
    const r = describeExit({ out, log });
    expect(r.bindFailure).toEqual(['Caused by: java.net.BindException: Could not start actor system on any port in port range 36961']);
    expect(r.text.split('\n').slice(0, 2)).toEqual(['it could not bind a port:', '  Caused by: java.net.BindException: Could not start actor system on any port in port range 36961']);
    expect(r.text.indexOf('BindException')).toBeLessThan(r.text.indexOf('ClassNotFoundException'));
    expect(r.text).toContain('last lines of its output:');
  });

  it('finds "Address already in use" too, and shows only the tail when nothing failed to bind', () => {
    expect(describeExit({ out: [], log: ['Caused by: java.net.BindException: Address already in use'] }).bindFailure).toHaveLength(1);
    const plain = describeExit({ out: ['a', 'b', 'c'], log: ['x', 'y'] }, 2);
    expect(plain).toEqual({ bindFailure: [], text: 'b\nc\nx\ny' });
  });
});

describe('startReplica when a port is taken', () => {
  /** Starts a shell script instead of each JVM: the JobManager fails to bind, like Flink's does, and dies noisily. */
  class BindFailingRunDir extends RunDir {
    readonly started: { name: string; pid: number }[] = [];
    override startJvm(spec: JvmSpec): number {
      const script = spec.name.endsWith('-jm')
        ? `echo "ERROR ClusterEntrypoint - Could not start cluster entrypoint" >> "$0"
           echo "Caused by: java.net.BindException: Could not start actor system on any port in port range 36961" >> "$0"
           echo "Caused by: java.lang.ClassNotFoundException: org.apache.flink.util.IOUtils"
           exit 1`
        : 'sleep 30';
      const pid = spawnDetached('sh', ['-c', script, this.path('logs', `${spec.name}.log`)], { logFile: this.path('logs', `${spec.name}.out`) });
      this.started.push({ name: spec.name, pid });
      return pid;
    }
  }

  it('tries once more with fresh ports, then reports the bind failure first and leaves nothing behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-replica-'));
    try {
      const run = new BindFailingRunDir('unit-bind', path.join(dir, 'stack'));
      const jar = path.join(dir, 'jobs.jar');
      fs.writeFileSync(jar, '');
      const spec = { name: 'r', jobClass: 'x', jobArgs: [], taskManagers: 1, spareTaskManagers: 0, checkpointIntervalMs: 1000, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000, jobManagerHeapMb: 128, taskHeapMb: 64, managedMb: 16, startTimeoutMs: 20_000 };
      const progress: string[] = [];
      const err = (await startReplica(run, 'cp', jar, spec, (l) => progress.push(l)).catch((e: unknown) => e)) as KhaosError;
      expect(err).toMatchObject({ name: 'KhaosError', kind: 'environment', hint: expect.stringContaining('ss -ltnp') });
      expect(err.message).toMatch(/^r-jm \(pid \d+\) exited while replica r was starting: it could not bind a port:\n {2}Caused by: java\.net\.BindException: Could not start actor system/);
      expect(err.message.indexOf('BindException')).toBeLessThan(err.message.indexOf('ClassNotFoundException'));
      expect(run.started.map((p) => p.name)).toEqual(['r-jm', 'r-tm0', 'r-jm', 'r-tm0']);
      expect(run.started.filter((p) => isAlive(p.pid))).toEqual([]);
      expect(progress.filter((l) => l.includes('trying once more with fresh ports'))).toHaveLength(1);
      const locks = path.join(os.tmpdir(), `khaos-ports-${process.getuid!()}`);
      const mine = fs.existsSync(locks) ? fs.readdirSync(locks).filter((f) => fs.readFileSync(path.join(locks, f), 'utf8').startsWith(`${process.pid} `)) : [];
      expect(mine).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
