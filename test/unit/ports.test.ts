import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ephemeralPortRange, freePort, PortAllocator, portRangeOutside, PREFERRED_PORT_RANGE, releasePort, type PortRange } from '../../src/adapters/system/processes.js';

const processesTs = fileURLToPath(new URL('../../src/adapters/system/processes.ts', import.meta.url));
const within = (port: number, r: PortRange) => port >= r.min && port <= r.max;
const alwaysFree = async () => true;

let lockDir: string;
beforeEach(() => {
  lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-ports-test-'));
});
afterEach(() => {
  fs.rmSync(lockDir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
const deadPid = () => spawnSync('true').pid!;

describe('portRangeOutside', () => {
  it('keeps the preferred range when the ephemeral range does not touch it', () => {
    expect(portRangeOutside({ min: 32768, max: 60999 })).toEqual(PREFERRED_PORT_RANGE);
    expect(portRangeOutside({ min: 49152, max: 65535 })).toEqual(PREFERRED_PORT_RANGE);
  });

  it('cuts the ephemeral range out of it, keeping the larger remainder', () => {
    expect(portRangeOutside({ min: 28000, max: 60999 })).toEqual({ min: 20000, max: 27999 });
    expect(portRangeOutside({ min: 10000, max: 24999 })).toEqual({ min: 25000, max: 31999 });
    expect(portRangeOutside({ min: 21000, max: 30000 })).toEqual({ min: 30001, max: 31999 });
  });

  it('looks elsewhere when the ephemeral range covers the preferred one', () => {
    expect(portRangeOutside({ min: 15000, max: 60999 })).toEqual({ min: 10000, max: 14999 });
    expect(portRangeOutside({ min: 12000, max: 60999 })).toEqual({ min: 61000, max: 65535 });
    expect(portRangeOutside({ min: 1024, max: 65535 })).toEqual(PREFERRED_PORT_RANGE); // nowhere else: the lock and probe still apply
  });

  it('reads the kernel range, with the IANA range where there is none', () => {
    const file = path.join(lockDir, 'range');
    fs.writeFileSync(file, '32768\t60999\n');
    expect(ephemeralPortRange(file)).toEqual({ min: 32768, max: 60999 });
    expect(ephemeralPortRange(path.join(lockDir, 'absent'))).toEqual({ min: 49152, max: 65535 });
  });
});

describe('PortAllocator', () => {
  it('never hands out a port twice, across allocators sharing the lock directory', async () => {
    const range = { min: 40000, max: 40199 };
    const a = new PortAllocator({ lockDir, range, probe: alwaysFree });
    const b = new PortAllocator({ lockDir, range, probe: alwaysFree });
    const ports: number[] = [];
    for (let i = 0; i < 100; i++) ports.push(await a.reserve(), await b.reserve());
    expect(new Set(ports).size).toBe(200);
    expect(ports.every((p) => within(p, range))).toBe(true);
    await expect(a.reserve()).rejects.toMatchObject({ name: 'KhaosError', kind: 'environment' });
  });

  it('never hands out a port twice to two processes allocating at the same time', async () => {
    const child = (range: PortRange) => {
      // Reserves 30 ports, prints them, and holds them until its stdin closes.
      const script = `
        import { PortAllocator } from ${JSON.stringify(processesTs)};
        const a = new PortAllocator({ lockDir: ${JSON.stringify(lockDir)}, range: ${JSON.stringify(range)}, probe: async () => true });
        const ports = [];
        for (let i = 0; i < 30; i++) ports.push(await a.reserve());
        console.log(JSON.stringify(ports));
        process.stdin.resume();
        process.stdin.on('end', () => process.exit(0));`;
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      const ports = new Promise<number[]>((resolve, reject) => {
        let out = '';
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
        });
        p.on('exit', (code) => reject(new Error(`child exited with ${code} before printing its ports`)));
      });
      return { ports, done: () => p.stdin.end() };
    };
    const range = { min: 40000, max: 40059 };
    const [one, two] = [child(range), child(range)];
    try {
      const [a, b] = await Promise.all([one.ports, two.ports]);
      expect(new Set([...a, ...b]).size).toBe(60);
    } finally {
      one.done();
      two.done();
    }
  }, 30_000);

  it('hands a released port out again', async () => {
    const a = new PortAllocator({ lockDir, range: { min: 40000, max: 40002 }, probe: alwaysFree });
    const ports = [await a.reserve(), await a.reserve(), await a.reserve()];
    await expect(a.reserve()).rejects.toThrow(/no free TCP port/);
    a.release(ports[1]!);
    expect(fs.existsSync(path.join(lockDir, `${ports[1]}.lock`))).toBe(false);
    expect(await a.reserve()).toBe(ports[1]);
    a.releaseAll();
    expect(fs.readdirSync(lockDir)).toEqual([]);
  });

  it('takes over a lock whose holder is dead, or whose pid now belongs to another process', async () => {
    const range = { min: 40000, max: 40000 };
    fs.writeFileSync(path.join(lockDir, '40000.lock'), `${deadPid()} 12345\n`);
    const a = new PortAllocator({ lockDir, range, probe: alwaysFree });
    expect(await a.reserve()).toBe(40000);
    expect(fs.readFileSync(path.join(lockDir, '40000.lock'), 'utf8').split(' ')[0]).toBe(String(process.pid));
    a.releaseAll();
    // This process is alive, but started at another time than the lock says: a reused pid.
    fs.writeFileSync(path.join(lockDir, '40000.lock'), `${process.pid} 1\n`);
    expect(await new PortAllocator({ lockDir, range, probe: alwaysFree }).reserve()).toBe(40000);
    expect(fs.readdirSync(lockDir)).toEqual(['40000.lock']);
  });

  it('leaves a lock of a live holder alone', async () => {
    const range = { min: 40000, max: 40000 };
    const holder = new PortAllocator({ lockDir, range, probe: alwaysFree });
    await holder.reserve();
    await expect(new PortAllocator({ lockDir, range, probe: alwaysFree }).reserve()).rejects.toMatchObject({ kind: 'environment' });
    fs.writeFileSync(path.join(lockDir, '40000.lock'), `${process.ppid}\n`); // no start time recorded: the pid alone decides
    await expect(new PortAllocator({ lockDir, range, probe: alwaysFree }).reserve()).rejects.toMatchObject({ kind: 'environment' });
  });

  it('skips a port something listens on, and gives up its lock', async () => {
    const server = net.createServer();
    const a = new PortAllocator({ lockDir, range: { min: 40000, max: 40999 } });
    const busy = await a.reserve();
    await new Promise<void>((r) => server.listen(busy, '127.0.0.1', r));
    try {
      a.release(busy);
      const b = new PortAllocator({ lockDir, range: { min: busy, max: busy + 1 } });
      expect(await b.reserve()).toBe(busy + 1);
      expect(fs.existsSync(path.join(lockDir, `${busy}.lock`))).toBe(false);
      b.releaseAll();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('freePort', () => {
  it('hands out ports outside the ephemeral range, locked until released', async () => {
    const ephemeral = ephemeralPortRange();
    const ports = [await freePort(), await freePort(), await freePort()];
    try {
      expect(new Set(ports).size).toBe(3);
      for (const p of ports) {
        expect(within(p, ephemeral)).toBe(false);
        expect(within(p, portRangeOutside(ephemeral))).toBe(true);
      }
      const lockDirOf = path.join(os.tmpdir(), `khaos-ports-${process.getuid!()}`);
      expect(ports.every((p) => fs.existsSync(path.join(lockDirOf, `${p}.lock`)))).toBe(true);
    } finally {
      for (const p of ports) releasePort(p);
    }
  });
});
