import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KhaosError } from '../../core/errors.js';

/**
 * Starts a long-lived process detached into its own process group (so a Ctrl-C in the terminal
 * reaches Khaos, which then tears down in order), output appended to `logFile`.
 */
export function spawnDetached(cmd: string, args: string[], opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv }): number {
  const out = fs.openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], cwd: opts.cwd, env: opts.env ?? process.env });
    if (child.pid === undefined) throw new KhaosError('environment', `could not start ${cmd}`, `is ${cmd} installed and on PATH?`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The process's command line, or undefined if it is gone (Linux /proc). */
export function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Signals a process; false if it was already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there. Resolves when it is gone. */
export async function terminate(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGCONT'); // a frozen process cannot handle SIGTERM
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) signal(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** Pids of processes whose command line contains `marker` (pgrep -f). */
export function pidsWithMarker(marker: string): number[] {
  const r = spawnSync('pgrep', ['-f', '--', marker], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid) && (commandLine(pid) ?? '').includes(marker) && !(commandLine(pid) ?? '').startsWith('pgrep'));
}

/** An inclusive range of TCP ports. */
export interface PortRange {
  min: number;
  max: number;
}

/** Where Khaos picks ports from unless the kernel's ephemeral range overlaps it. */
export const PREFERRED_PORT_RANGE: PortRange = { min: 20000, max: 31999 };
/** Fewer ports than this are not worth picking from (see portRangeOutside). */
const MIN_RANGE_SIZE = 100;

/**
 * The kernel's ephemeral port range: outgoing connections of every process (other JVMs' too)
 * take their local port from it, at any moment. Linux /proc; elsewhere the IANA range.
 */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): PortRange {
  try {
    const [min, max] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(min) && Number.isInteger(max) && min! <= max!) return { min: min!, max: max! };
  } catch {
    // not Linux: fall through
  }
  return { min: 49152, max: 65535 };
}

/**
 * The range Khaos hands ports out from: the preferred range minus the ephemeral range (the
 * larger part that remains). When the ephemeral range covers nearly all of it, the larger free
 * stretch elsewhere in 10000–65535 (below 10000 lie many services' default ports); when there is
 * none, the preferred range regardless, where the lock and the bind probe still apply but an
 * outgoing connection may take a port first.
 */
export function portRangeOutside(ephemeral: PortRange, preferred: PortRange = PREFERRED_PORT_RANGE): PortRange {
  const size = (r: PortRange) => r.max - r.min + 1;
  const minus = (r: PortRange): PortRange[] =>
    [
      { min: r.min, max: Math.min(r.max, ephemeral.min - 1) },
      { min: Math.max(r.min, ephemeral.max + 1), max: r.max },
    ].filter((c) => size(c) > 0);
  const largest = (rs: PortRange[]) => rs.filter((r) => size(r) >= MIN_RANGE_SIZE).sort((a, b) => size(b) - size(a))[0];
  if (ephemeral.max < preferred.min || ephemeral.min > preferred.max) return preferred;
  return largest(minus(preferred)) ?? largest(minus({ min: 10000, max: 65535 })) ?? preferred;
}

/** True if a server can bind the port on loopback right now. */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Start time of a process in clock ticks since boot (Linux /proc), to tell a reused pid apart. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface PortAllocatorOptions {
  /** Directory of the lock files, shared by every Khaos process that may run at the same time. */
  lockDir: string;
  range: PortRange;
  /** The holder named in lock files (default: this process). */
  pid?: number;
  /** Whether a lock's holder still runs (default: a live process with the recorded start time). */
  holderAlive?: (pid: number, startTicks: string | undefined) => boolean;
  /** Whether the port can be bound now (default: a listen on loopback). */
  probe?: (port: number) => Promise<boolean>;
  /** Where in the range the search starts, in [0, 1) (default Math.random): spreads processes apart. */
  random?: () => number;
}

/**
 * Hands out TCP ports that no other Khaos process holds and that nothing listens on, from a range
 * outside the kernel's ephemeral range. Probing a port and closing it before a JVM binds it is
 * a race: the OS's own pick (listen on 0) comes from the ephemeral range, which outgoing
 * connections of any process draw from, and a second Khaos process may probe the same port. Here
 * a port is first locked (a file `<port>.lock` naming the holder's pid, created atomically), then
 * probed. The lock lasts until `release`, or until the holder is gone: a lock whose process died
 * is taken over. A port bound by a process that outlived its lock's holder is skipped by the probe.
 */
export class PortAllocator {
  private readonly held = new Set<number>();
  private readonly pid: number;
  private readonly holderAlive: (pid: number, startTicks: string | undefined) => boolean;
  private readonly probe: (port: number) => Promise<boolean>;
  private readonly random: () => number;

  constructor(private readonly opts: PortAllocatorOptions) {
    this.pid = opts.pid ?? process.pid;
    this.holderAlive = opts.holderAlive ?? ((pid, ticks) => isAlive(pid) && (ticks === undefined || startTicks(pid) === undefined || startTicks(pid) === ticks));
    this.probe = opts.probe ?? ((port) => canBind(port));
    this.random = opts.random ?? Math.random;
  }

  /** A port locked for this process and free right now. Throws KhaosError('environment') when the range is exhausted. */
  async reserve(): Promise<number> {
    const { min, max } = this.opts.range;
    const n = max - min + 1;
    const start = Math.floor(this.random() * n);
    fs.mkdirSync(this.opts.lockDir, { recursive: true });
    for (let i = 0; i < n; i++) {
      const port = min + ((start + i) % n);
      if (this.held.has(port) || !this.lock(port)) continue;
      if (await this.probe(port)) {
        this.held.add(port);
        return port;
      }
      this.unlock(port);
    }
    throw new KhaosError('environment', `no free TCP port in ${min}–${max}: every one is in use or locked in ${this.opts.lockDir}`, 'stop stacks you no longer need (`khaos stack down`), or remove lock files of processes that are gone');
  }

  /** Gives a port back; ports this allocator does not hold are ignored. */
  release(port: number): void {
    if (this.held.delete(port)) this.unlock(port);
  }

  /** Gives every held port back (at exit). */
  releaseAll(): void {
    for (const port of [...this.held]) this.release(port);
  }

  /** Ports this allocator holds now. */
  holding(): number[] {
    return [...this.held];
  }

  private file(port: number): string {
    return path.join(this.opts.lockDir, `${port}.lock`);
  }

  /**
   * Creates the lock file with its content in one step: written under a private name, then
   * hard-linked to `<port>.lock`, which fails if the name exists (like O_EXCL, but a reader
   * never sees a lock without its holder). A lock of a dead holder is moved aside and taken.
   */
  private lock(port: number): boolean {
    const file = this.file(port);
    const mine = `${file}.${this.pid}.tmp`;
    fs.writeFileSync(mine, `${this.pid} ${startTicks(this.pid) ?? ''}\n`);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          fs.linkSync(mine, file);
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !this.takeOverStale(file)) return false;
        }
      }
      return false;
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  /**
   * Removes the lock file if its holder is gone; true if it is gone now. Moving it aside first
   * means only one process can take a given stale lock; the inode check catches the case where
   * the file moved was a fresh lock another process created in between (it is put back).
   */
  private takeOverStale(file: string): boolean {
    let stat: fs.Stats;
    let content: string;
    try {
      stat = fs.statSync(file);
      content = fs.readFileSync(file, 'utf8');
    } catch {
      return true; // released meanwhile
    }
    const [pidText, ticks] = content.trim().split(/\s+/);
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && this.holderAlive(pid, ticks || undefined)) return false;
    const aside = `${file}.${this.pid}.stale`;
    try {
      fs.renameSync(file, aside);
    } catch {
      return true; // someone else moved it: try to create it again
    }
    if (fs.statSync(aside).ino !== stat.ino) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // yet another lock exists now: the one moved aside is lost, its port still guarded by the probe
      }
    }
    fs.rmSync(aside, { force: true });
    return true;
  }

  private unlock(port: number): void {
    fs.rmSync(this.file(port), { force: true });
  }
}

let shared: PortAllocator | undefined;

/**
 * The allocator every Khaos process shares: locks under the OS temp dir (not KHAOS_HOME, so two
 * Khaos homes on one machine still see each other's ports), range outside the ephemeral range.
 * Held ports are released when the process exits.
 */
function sharedAllocator(): PortAllocator {
  if (!shared) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
    const allocator = new PortAllocator({ lockDir: path.join(os.tmpdir(), `khaos-ports-${uid}`), range: portRangeOutside(ephemeralPortRange()) });
    process.once('exit', () => allocator.releaseAll());
    shared = allocator;
  }
  return shared;
}

/**
 * A TCP port for a process Khaos is about to start: outside the ephemeral range, free now, and
 * reserved for this process until `releasePort` or exit, so no other Khaos process is handed it.
 */
export function freePort(): Promise<number> {
  return sharedAllocator().reserve();
}

/** Ends the reservation of a port from `freePort` (a no-op for any other port). */
export function releasePort(port: number): void {
  shared?.release(port);
}

/** True if something accepts TCP connections on the port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Throws a KhaosError('environment') naming a port that is already taken. */
export async function requirePortFree(port: number, what: string): Promise<void> {
  if (await portOpen(port)) {
    throw new KhaosError('environment', `port ${port} for ${what} is already in use`, 'stop whatever listens there (`ss -ltnp`), or leave the port unset so Khaos picks a free one');
  }
}
