import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { commandPath, type CliIo } from '../../src/cli/common.js';
import { khaosIn } from '../support/khaos-cli.js';

// Everything in compose.ts that starts a process, opens a store or reaches a broker or Flink: a
// test here that calls one has started something it should not.
const started = vi.hoisted(() => [] as string[]);
vi.mock('../../src/compose.js', async (importOriginal) =>
  (await import('../support/refusing.js')).refusing(
    await importOriginal<typeof import('../../src/compose.js')>(),
    ['startLocalStack', 'openLocalStack', 'downStack', 'stacks', 'messageBusAt', 'flinkAt', 'profileStore', 'controlStore', 'loadTrace', 'rateSourceFor'],
    started,
    'a CLI test that should start nothing',
  ),
);
afterEach(() => {
  expect(started).toEqual([]);
});

const khaos = khaosIn('/nonexistent');

const quiet: CliIo = { out: () => undefined, err: () => undefined, workloadsDir: '/nonexistent' };
const walk = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(walk)];
/** Every command of the program, found by walking it: a new command is covered without a change here. */
const commands = walk(buildProgram(quiet));
const words = (cmd: Command) => commandPath(cmd).split(' ').filter(Boolean);
const label = (cmd: Command) => `khaos ${commandPath(cmd)}`.trim();

describe('khaos <command> --help', () => {
  it('walks every command of the CLI', () => {
    expect(commands.map(commandPath)).toEqual(
      expect.arrayContaining(['', 'demo', 'stack', 'stack up', 'stack status', 'stack down', 'replay', 'analyze', 'profile', 'profile list', 'profile discard', 'profile export', 'profile report', 'models', 'models fit', 'models compare', 'models show', 'control', 'control status', 'control decisions', 'evaluate', 'sim', 'sim calibrate', 'sim calibrations', 'sim calibration', 'k8s', 'k8s render']),
    );
  });

  it.each(commands.map((c) => [label(c), c] as const))('%s --help prints its usage, options and sub-commands to stdout and exits 0', async (_, cmd) => {
    const { code, out, err } = await khaos(...words(cmd), '--help');
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain(`Usage: ${label(cmd)} `);
    if (cmd.description()) expect(out.replace(/\s+/g, ' ')).toContain(cmd.description().replace(/\s+/g, ' '));
    for (const o of cmd.options) expect(out).toContain(o.flags);
    for (const a of cmd.registeredArguments) expect(out).toContain(a.name());
    for (const c of cmd.commands) expect(out).toMatch(new RegExp(`^  ${c.name()}\\b`, 'm'));
  });

  it('-h is --help', async () => {
    const long = await khaos('models', 'fit', '--help');
    expect(await khaos('models', 'fit', '-h')).toEqual(long);
  });

  it('a command that needs a sub-command shows its help on stderr and exits 2 without one', async () => {
    for (const argv of [[], ['stack'], ['models'], ['sim'], ['k8s']]) {
      const { code, out, err } = await khaos(...argv);
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toContain(`Usage: ${['khaos', ...argv].join(' ')} `);
    }
  });
});

describe('khaos usage errors: a clear message, the command to ask for help, exit 2, nothing started', () => {
  it.each(commands.map((c) => [label(c), c] as const))('%s --no-such-option', async (_, cmd) => {
    const { code, out, err } = await khaos(...words(cmd), '--no-such-option');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^khaos: .*Unknown option '--no-such-option'\n/);
    expect(err).toContain(`→ see \`${label(cmd)} --help\``);
  });

  it('an unknown option names the command and suggests the near one', async () => {
    const { err } = await khaos('models', 'compare', '--sample', 'x.csv');
    expect(err).toBe("khaos: models: Unknown option '--sample' (Did you mean --samples?)\n  → see `khaos models compare --help`\n");
  });

  it.each(commands.filter((c) => c.commands.length > 0).map((c) => [label(c), c] as const))('%s no-such-command', async (_, cmd) => {
    const { code, err } = await khaos(...words(cmd), 'no-such-command');
    expect(code).toBe(2);
    expect(err).toContain(`khaos: unknown ${[...words(cmd), ''].join(' ')}command "no-such-command"`);
    expect(err).toContain(`see \`${label(cmd)} --help\``);
  });

  it('an unknown command lists the commands there are', async () => {
    expect((await khaos('anlyze')).err).toBe('khaos: unknown command "anlyze" (did you mean analyze?)\n  → use: khaos demo|stack|replay|analyze|profile|models|control|evaluate|dashboard|sim|k8s (see `khaos --help`)\n');
    expect((await khaos('stack', 'start')).err).toContain('use: khaos stack up|status|down');
  });

  it('a missing option value, a missing or an extra operand', async () => {
    expect(await khaos('demo', '--interval')).toMatchObject({ code: 2, err: expect.stringContaining("demo: Option '--interval <dur>' argument missing") });
    expect(await khaos('profile', 'discard')).toMatchObject({ code: 2, err: expect.stringContaining('khaos profile discard needs a profile id') });
    expect(await khaos('stack', 'up', 'extra')).toMatchObject({ code: 2, err: expect.stringContaining('unexpected arguments: extra\n  → see `khaos stack up --help`') });
    expect(await khaos('models', 'show', 'a.json', 'b.json')).toMatchObject({ code: 2, err: expect.stringContaining('models show needs exactly one model file') });
  });
});

describe('the real entry point', () => {
  it('node bin/khaos.js analyze --help prints the analyze help and exits 0', () => {
    const root = path.resolve(__dirname, '..', '..');
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'khaos.js'), 'analyze', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: khaos analyze [options] [trace]');
    expect(r.stdout).toContain('--tolerance <t>');
  }, 60_000);
});
