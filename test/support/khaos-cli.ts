import { main } from '../../src/cli/main.js';

/** What a run of the CLI left: exit code (null when a signal ended it), stdout and stderr (the integration runner merges both into `out`). */
export interface CliRun {
  code: number | null;
  out: string;
  err?: string;
  signal?: NodeJS.Signals | null;
}

/** `khaos …` in-process, as the entry point runs it: exit code and what went to stdout and stderr; trace names are looked up in `workloadsDir`. */
export const khaosIn =
  (workloadsDir: string) =>
  async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), workloadsDir });
    return { code, out, err };
  };

/** The last `lines` lines of `text`, marked when some were left out. */
function tail(text: string, lines: number): string {
  const all = text.replace(/\n$/, '').split('\n');
  return all.length > lines ? [`[… ${all.length - lines} earlier line(s)]`, ...all.slice(-lines)].join('\n') : all.join('\n');
}

/** The tail of what the CLI printed, for a failure message: a CI log then shows why it exited as it did. */
export function cliOutputTail(r: CliRun, lines = 40): string {
  const part = (name: string, text: string | undefined) => (text === undefined ? [] : [`--- ${name} (last ${lines} lines) ---`, text === '' ? '(nothing)' : tail(text, lines)]);
  return [...part(r.err === undefined ? 'output' : 'stdout', r.out), ...part('stderr', r.err)].join('\n');
}

/**
 * Throws unless the run exited with `code`; the error carries the tail of stdout and stderr, so a
 * failing test shows what the CLI said (a bare `expect(r.code).toBe(0)` shows only "2 ≠ 0").
 */
export function expectExit(r: CliRun, code: number): void {
  if (r.code === code) return;
  throw new Error(`khaos exited ${r.code ?? `on ${r.signal ?? 'a signal'}`}, expected ${code}\n${cliOutputTail(r)}`);
}
