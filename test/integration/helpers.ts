import { resolveConfig, type ConfigInput } from '../../src/config/schema.js';
import { startLocalStack } from '../../src/compose.js';
import type { LocalStack } from '../../src/adapters/local/local-stack.js';

export const progress = (line: string) => process.stderr.write(`  [it] ${line}\n`);

/** A stack owned by the test process (a watchdog kills it if the test runner dies). */
export async function testStack(name: string, overrides: ConfigInput = {}): Promise<LocalStack> {
  const config = resolveConfig({ ...overrides, stack: { name: `it-${name}`, ...(overrides.stack ?? {}) } });
  return startLocalStack(config, progress, true);
}
