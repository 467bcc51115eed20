import fs from 'node:fs';
import path from 'node:path';
import { commandLine, isAlive, spawnDetached } from '../system/processes.js';

/** Every JVM a stack starts carries this marker, so it can be found (and never confused with another). */
export const stackMarker = (stack: string) => `-Dkhaos.stack=${stack}`;

/** Log4j 2 configuration shared by the stack's JVMs: one file per process, quiet libraries. */
const LOG4J = `rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
appender.main.name = MainAppender
appender.main.type = File
appender.main.fileName = \${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.kafkaserver.name = kafka
logger.kafkaserver.level = WARN
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.zk.name = org.apache.flink.shaded.zookeeper3
logger.zk.level = WARN
`;

export interface JvmSpec {
  /** Unique within the stack: names the log, out and pid files. */
  name: string;
  classpath: string;
  mainClass: string;
  args: string[];
  heapMb: number;
  extraJvmArgs?: string[];
}

/** A stack's directory: logs, data, pid files. Pid files let `stack down` and the watchdog find every process. */
export class RunDir {
  constructor(
    readonly stack: string,
    readonly dir: string,
  ) {
    fs.mkdirSync(path.join(dir, 'pids'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'log4j2.properties'), LOG4J);
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  startJvm(spec: JvmSpec): number {
    const args = [
      `-Xmx${spec.heapMb}m`,
      `-Xms${Math.min(spec.heapMb, 64)}m`,
      '-XX:+UseSerialGC',
      stackMarker(this.stack),
      `-Dlog.file=${this.path('logs', `${spec.name}.log`)}`,
      `-Dlog4j.configurationFile=${this.path('log4j2.properties')}`,
      ...(spec.extraJvmArgs ?? []),
      '-cp',
      spec.classpath,
      spec.mainClass,
      ...spec.args,
    ];
    const pid = spawnDetached('java', args, { logFile: this.path('logs', `${spec.name}.out`) });
    fs.writeFileSync(this.path('pids', `${spec.name}.pid`), String(pid));
    return pid;
  }

  /** Pids recorded for this stack whose process is alive and really ours (pid reuse is checked). */
  livePids(): { name: string; pid: number }[] {
    const dir = this.path('pids');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => ({ name: f.slice(0, -4), pid: Number(fs.readFileSync(path.join(dir, f), 'utf8')) }))
      .filter(({ pid }) => isAlive(pid) && (commandLine(pid) ?? '').includes(stackMarker(this.stack)));
  }

  forget(name: string): void {
    fs.rmSync(this.path('pids', `${name}.pid`), { force: true });
  }

  /** The last lines of a process's log and stdout, for error messages. */
  logTail(name: string, lines = 15): string {
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '');
    return [read(this.path('logs', `${name}.out`)), read(this.path('logs', `${name}.log`))].filter(Boolean).join('\n');
  }

  /**
   * Starts a watchdog that kills every process of this stack when `ownerPid` dies (a crash or
   * kill -9 of Khaos leaves no orphan JVM). Returns the watchdog's pid.
   */
  startWatchdog(ownerPid: number): number {
    const script = `
      while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done
      for f in "$0"/pids/*.pid; do
        [ -f "$f" ] || continue; p=$(cat "$f")
        if tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q -- "$KHAOS_MARKER"; then kill -CONT $p; kill -KILL $p; fi
      done`;
    // The marker travels in the environment so the watchdog itself never matches it.
    const env = { ...process.env, KHAOS_MARKER: stackMarker(this.stack) };
    return spawnDetached('bash', ['-c', script, this.dir], { logFile: this.path('logs', 'watchdog.out'), env });
  }
}
