import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExit, lastJavaException, startReplica } from '../../src/adapters/local/flink-replica.js';
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

/** A run directory that starts a shell script instead of each JVM: `jobManager` for the JobManager (its log file is $0), a sleep for the TaskManagers. */
class ScriptedRunDir extends RunDir {
  readonly started: { name: string; pid: number }[] = [];
  constructor(
    name: string,
    dir: string,
    private readonly jobManager: string,
  ) {
    super(name, dir);
  }
  override startJvm(spec: JvmSpec): number {
    const script = spec.name.endsWith('-jm') ? this.jobManager : 'sleep 30';
    const pid = spawnDetached('sh', ['-c', script, this.path('logs', `${spec.name}.log`)], { logFile: this.path('logs', `${spec.name}.out`) });
    this.started.push({ name: spec.name, pid });
    return pid;
  }
}

/** startReplica of replica `r` with its JobManager running `jobManager`: the error it ends with, the run directory, its progress lines. */
async function startScripted(name: string, jobManager: string, body: (err: KhaosError, run: ScriptedRunDir, progress: string[]) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-replica-'));
  try {
    const run = new ScriptedRunDir(name, path.join(dir, 'stack'), jobManager);
    const jar = path.join(dir, 'jobs.jar');
    fs.writeFileSync(jar, '');
    const spec = { name: 'r', jobClass: 'x', jobArgs: [], taskManagers: 1, spareTaskManagers: 0, checkpointIntervalMs: 1000, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000, jobManagerHeapMb: 128, taskHeapMb: 64, managedMb: 16, startTimeoutMs: 20_000 };
    const progress: string[] = [];
    const err = (await startReplica(run, 'cp', jar, spec, (l) => progress.push(l)).catch((e: unknown) => e)) as KhaosError;
    body(err, run, progress);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('startReplica when a port is taken', () => {
  /** The JobManager fails to bind, like Flink's does, and dies noisily. */
  const BIND_FAILING = `echo "ERROR ClusterEntrypoint - Could not start cluster entrypoint" >> "$0"
           echo "Caused by: java.net.BindException: Could not start actor system on any port in port range 36961" >> "$0"
           echo "Caused by: java.lang.ClassNotFoundException: org.apache.flink.util.IOUtils"
           exit 1`;

  it('tries once more with fresh ports, then reports the bind failure first and leaves nothing behind', async () => {
    await startScripted('unit-bind', BIND_FAILING, (err, run, progress) => {
      expect(err).toMatchObject({ name: 'KhaosError', kind: 'environment', hint: expect.stringContaining('ss -ltnp') });
      expect(err.message).toMatch(/^r-jm \(pid \d+\) exited while replica r was starting: it could not bind a port:\n {2}Caused by: java\.net\.BindException: Could not start actor system/);
      expect(err.message.indexOf('BindException')).toBeLessThan(err.message.indexOf('ClassNotFoundException'));
      expect(run.started.map((p) => p.name)).toEqual(['r-jm', 'r-tm0', 'r-jm', 'r-tm0']);
      expect(run.started.filter((p) => isAlive(p.pid))).toEqual([]);
      expect(progress.filter((l) => l.includes('trying once more with fresh ports'))).toHaveLength(1);
      const locks = path.join(os.tmpdir(), `khaos-ports-${process.getuid!()}`);
      const mine = fs.existsSync(locks) ? fs.readdirSync(locks).filter((f) => fs.readFileSync(path.join(locks, f), 'utf8').startsWith(`${process.pid} `)) : [];
      expect(mine).toEqual([]);
    });
  }, 60_000);
});

/** A JobManager log as Flink writes it when the job's main() throws (application mode), then a later, unrelated warning. */
const FAILED_MAIN_LOG = [
  '10:00:01,001 INFO  ClusterEntrypoint - Starting StandaloneApplicationClusterEntryPoint.',
  '10:00:02,000 WARN  KafkaSource - an earlier, handled one',
  'java.io.IOException: earlier',
  '\tat a.B.c(B.java:1)',
  '10:00:03,002 ERROR ClusterEntrypoint - Fatal error occurred in the cluster entrypoint.',
  'java.util.concurrent.CompletionException: org.apache.flink.client.deployment.application.ApplicationExecutionException: Could not execute application.',
  '\tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable(CompletableFuture.java:315)',
  'Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: No enum constant org.apache.flink.connector.base.DeliveryGuarantee.BOGUS',
  '\tat org.apache.flink.client.program.PackagedProgram.callMainMethod(PackagedProgram.java:373)',
  '\t... 12 more',
  'Caused by: java.lang.IllegalArgumentException: No enum constant org.apache.flink.connector.base.DeliveryGuarantee.BOGUS',
  '\tat java.base/java.lang.Enum.valueOf(Enum.java:273)',
  '10:00:03,100 INFO  ClusterEntrypoint - Shutting down.',
];

describe('lastJavaException (a job that fails at start)', () => {
  it('the last exception of the log with each cause, the root cause last; none in a log without one', () => {
    expect(lastJavaException(FAILED_MAIN_LOG)).toEqual([
      'java.util.concurrent.CompletionException: org.apache.flink.client.deployment.application.ApplicationExecutionException: Could not execute application.',
      'Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: No enum constant org.apache.flink.connector.base.DeliveryGuarantee.BOGUS',
      'Caused by: java.lang.IllegalArgumentException: No enum constant org.apache.flink.connector.base.DeliveryGuarantee.BOGUS',
    ]);
    expect(lastJavaException(['Exception in thread "main" java.lang.NoClassDefFoundError: com/example/Gone', 'Caused by: java.lang.ClassNotFoundException: com.example.Gone'])).toEqual([
      'Exception in thread "main" java.lang.NoClassDefFoundError: com/example/Gone',
      'Caused by: java.lang.ClassNotFoundException: com.example.Gone',
    ]);
    expect(lastJavaException(['10:00 INFO started', '10:01 INFO RUNNING'])).toBeUndefined();
  });

  it('startReplica: a JobManager that exits because the job threw is reported with that exception and what to fix, and leaves nothing behind', async () => {
    const writesLog = FAILED_MAIN_LOG.map((l) => `printf '%s\\n' '${l.replace(/\t/g, '    ')}' >> "$0"`).join('\n');
    await startScripted('unit-main-throws', `${writesLog}\nexit 1`, (err, run) => {
      expect(err).toMatchObject({ name: 'KhaosError', kind: 'bad-input', hint: expect.stringMatching(/^the job threw while starting: fix what the exception names/) });
      expect(err.message).toMatch(/^r-jm \(pid \d+\) exited while replica r was starting:\nthe JobManager log's last exception:\n {2}java\.util\.concurrent\.CompletionException: .*\n {2}Caused by: .*ProgramInvocationException.*\n {2}Caused by: java\.lang\.IllegalArgumentException: No enum constant org\.apache\.flink\.connector\.base\.DeliveryGuarantee\.BOGUS\n/);
      expect(run.started.filter((p) => isAlive(p.pid))).toEqual([]);
    });
  }, 60_000);
});
