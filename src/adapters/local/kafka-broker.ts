import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { KhaosError } from '../../core/errors.js';
import { freePort, isAlive, portOpen, releasePort, requirePortFree } from '../system/processes.js';
import type { RunDir } from './run-dir.js';

export interface KafkaBrokerOptions {
  /** Broker port on loopback; undefined picks a free one. */
  port?: number;
  heapMb: number;
  /** Default partition count of new topics. */
  partitions: number;
  startTimeoutMs: number;
}

export interface KafkaBrokerState {
  pid: number;
  port: number;
  controllerPort: number;
  bootstrap: string;
}

/**
 * One Kafka 4.x KRaft node (broker and controller) on loopback, started from the Maven-resolved
 * classpath. Storage is formatted on first start and kept in the stack's directory.
 */
export async function startKafkaBroker(run: RunDir, classpath: string, opts: KafkaBrokerOptions): Promise<KafkaBrokerState> {
  if (opts.port !== undefined) await requirePortFree(opts.port, 'the Kafka broker');
  const port = opts.port ?? (await freePort());
  const controllerPort = await freePort().catch((e: unknown) => {
    releasePort(port);
    throw e;
  });
  try {
    return await startOn(run, classpath, opts, port, controllerPort);
  } finally {
    // Up, the broker holds both ports itself (another Khaos process's bind probe sees them taken);
    // failed, they are of no use. The broker is never restarted on them.
    releasePort(port);
    releasePort(controllerPort);
  }
}

async function startOn(run: RunDir, classpath: string, opts: KafkaBrokerOptions, port: number, controllerPort: number): Promise<KafkaBrokerState> {
  const dataDir = run.path('kafka-data');
  const props = run.path('kafka.properties');
  fs.writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `log.dirs=${dataDir}`,
      `num.partitions=${opts.partitions}`,
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=4',
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=24',
      '',
    ].join('\n'),
  );
  if (!fs.existsSync(`${dataDir}/meta.properties`)) {
    const id = runTool(classpath, ['random-uuid']).trim().split('\n').pop()!;
    runTool(classpath, ['format', '--standalone', '-t', id, '-c', props]);
  }
  const pid = run.startJvm({ name: 'kafka', classpath, mainClass: 'kafka.Kafka', args: [props], heapMb: opts.heapMb });
  const deadline = Date.now() + opts.startTimeoutMs;
  while (!(await portOpen(port))) {
    if (!isAlive(pid)) throw new KhaosError('platform', `the Kafka broker exited during start-up:\n${run.logTail('kafka')}`, `see ${run.path('logs')}`);
    if (Date.now() > deadline) throw new KhaosError('timeout', `the Kafka broker did not open port ${port} within ${opts.startTimeoutMs} ms`, `see ${run.path('logs', 'kafka.log')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid, port, controllerPort, bootstrap: `127.0.0.1:${port}` };
}

function runTool(classpath: string, args: string[]): string {
  const r = spawnSync('java', ['-Xmx128m', '-cp', classpath, 'kafka.tools.StorageTool', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new KhaosError('platform', `kafka StorageTool ${args[0]} failed: ${r.stderr || r.stdout}`, 'delete the stack directory to start from empty storage');
  return r.stdout;
}
