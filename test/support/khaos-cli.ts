import { main } from '../../src/cli/main.js';

/** `khaos …` in-process, as the entry point runs it: exit code and what went to stdout and stderr; trace names are looked up in `workloadsDir`. */
export const khaosIn =
  (workloadsDir: string) =>
  async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), workloadsDir });
    return { code, out, err };
  };
