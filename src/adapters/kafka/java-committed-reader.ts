import { spawn } from 'node:child_process';
import { KhaosError } from '../../core/errors.js';
import type { ReadRecord } from '../../ports/message-bus.js';

/**
 * Reads every committed record of a topic with Kafka's own Java consumer (kafka-tools'
 * ConsoleConsumer, isolation level read_committed). Khaos verifies exactly-once with it because
 * KafkaJS 2.2.4's read_committed returned records of transactions Flink had aborted: after a kill
 * it showed one window committed twice where the Java consumer, on the same log, showed none.
 */
export function readCommittedWithJava(classpath: string, bootstrap: string, topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
  const args = [
    '-Xmx256m', '-cp', classpath, 'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--isolation-level', 'read_committed',
    '--timeout-ms', String(opts.idleMs),
    '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'print.key=true',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: ReadRecord[] = [];
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        // "Partition:<p>\tOffset:<o>\t<key>\t<value>"
        const [p, o, key, ...value] = line.split('\t');
        if (!p?.startsWith('Partition:') || !o?.startsWith('Offset:')) continue;
        out.push({ partition: Number(p.slice(10)), offset: o.slice(7), key: key === 'null' ? null : (key ?? null), value: value.join('\t') });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on('error', (e) => reject(new KhaosError('environment', 'could not run java for the committed-output reader', 'install a Java 17 JDK', { cause: e })));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || signal === 'SIGKILL') resolve(out);
      else reject(new KhaosError('platform', `reading ${topic} with Kafka's console consumer failed (exit ${code}): ${stderr}`, 'is the broker running? `khaos stack status`'));
    });
  });
}
