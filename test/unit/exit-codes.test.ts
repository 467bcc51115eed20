import { describe, expect, it, vi } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { KhaosError, type KhaosErrorKind } from '../../src/core/errors.js';
import { cliOutputTail, expectExit, khaosIn } from '../support/khaos-cli.js';

// `replay --bootstrap` reaches its bus through compose.messageBusAt: here a bus that fails as the test says.
const failure = vi.hoisted(() => ({ error: undefined as unknown }));
vi.mock('../../src/compose.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compose.js')>();
  return {
    ...real,
    loadTrace: () => ({ name: 't', timesSec: [0, 1, 2, 3], values: [1, 1, 1, 1] }),
    messageBusAt: () => ({
      ensureTopic: () => Promise.reject(failure.error),
      close: async () => undefined,
    }),
  };
});

const khaos = khaosIn('/nonexistent');

describe('exit codes', () => {
  it.each([
    ['bad-input', 2],
    ['environment', 3],
    ['platform', 3],
    ['timeout', 3],
    ['bug', 70],
  ] as [KhaosErrorKind, number][])('a KhaosError of kind %s ends the CLI with %i, its message and hint on stderr', async (kind, code) => {
    failure.error = new KhaosError(kind, `something of kind ${kind}`, 'do this');
    const r = await khaos('replay', '--bootstrap', '127.0.0.1:9', '--trace', 't.csv');
    expect(r).toEqual({ code, out: '', err: `khaos: something of kind ${kind}\n  → do this\n` });
    expect(exitCodeFor(failure.error)).toBe(code);
  });

  it('any other error is a bug: 70, with its stack', async () => {
    failure.error = new TypeError('x is undefined');
    const r = await khaos('replay', '--bootstrap', '127.0.0.1:9', '--trace', 't.csv');
    expect(r.code).toBe(EXIT.bug);
    expect(r.err).toMatch(/^khaos: internal error \(a bug, please report\): TypeError: x is undefined\n\s+at /);
  });

  it('a typo is bad input (2), not a platform failure', async () => {
    expect((await khaos('replay', '--bootstrapp', 'x')).code).toBe(EXIT.badInput);
  });

  it('khaos --help lists every code', async () => {
    const r = await khaos('--help');
    for (const code of Object.values(EXIT)) expect(r.out).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });
});

describe('a failing CLI test shows what the CLI said', () => {
  it('expectExit passes on the expected code and throws with the tail of stdout and stderr otherwise', () => {
    const out = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(() => expectExit({ code: 0, out, err: '' }, 0)).not.toThrow();
    const thrown = (() => {
      try {
        expectExit({ code: 3, out, err: 'khaos: Kafka at 127.0.0.1:9: connect failed\n' }, 0);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(thrown).toMatch(/^khaos exited 3, expected 0\n--- stdout \(last 40 lines\) ---\n\[… 60 earlier line\(s\)\]\nline 61\n/);
    expect(thrown).toContain('line 100\n--- stderr (last 40 lines) ---\nkhaos: Kafka at 127.0.0.1:9: connect failed');
    expect(thrown).not.toContain('line 60\n');
  });

  it('the merged output of a separate process, and a signal, are shown too', () => {
    expect(cliOutputTail({ code: null, signal: 'SIGKILL', out: '' })).toBe('--- output (last 40 lines) ---\n(nothing)');
    expect(() => expectExit({ code: null, signal: 'SIGKILL', out: 'started\n' }, 0)).toThrow(/^khaos exited on SIGKILL, expected 0\n--- output \(last 40 lines\) ---\nstarted$/);
  });
});
