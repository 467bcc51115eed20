import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
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

/** A TCP port free on loopback right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
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
