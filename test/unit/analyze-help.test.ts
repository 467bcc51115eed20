import { describe, expect, it } from 'vitest';
import { ANALYZE_USAGE, analyzeCommand } from '../../src/cli/analyze.js';

describe('khaos analyze --help', () => {
  it('prints the options (as `khaos --help` and the bad-flag hint promise) and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const lines: string[] = [];
      expect(await analyzeCommand([flag], { out: (s) => lines.push(s), workloadsDir: '/nonexistent' })).toBe(0);
      expect(lines.join('\n')).toBe(ANALYZE_USAGE.trimEnd());
      expect(lines.join('\n')).toContain('--tolerance T');
    }
  });
});
