import fs from 'node:fs';
import YAML from 'yaml';
import { resolveConfig, type ConfigInput } from '../config/schema.js';
import { badInput } from '../core/errors.js';
import { startLocalStack } from '../compose.js';

export function log(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** Flags every command may take that shape the config. */
export interface ConfigFlags {
  config?: string;
  name?: string;
  job?: string;
  interval?: string;
  trace?: string;
  peak?: string;
  compression?: string;
  duration?: string;
  failure?: string;
  'fail-at'?: string;
  seed?: string;
}
export function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badInput(`--${flag} needs a number, got "${v}"`);
  return n;
}

/** Config file, then flags on top; every problem reported by the schema at once. */
export function configFrom(flags: ConfigFlags) {
  let input: ConfigInput = {};
  if (flags.config) {
    if (!fs.existsSync(flags.config)) throw badInput(`config file ${flags.config} not found`);
    try {
      input = (YAML.parse(fs.readFileSync(flags.config, 'utf8')) ?? {}) as ConfigInput;
    } catch (e) {
      throw badInput(`config file ${flags.config} is not valid YAML: ${(e as Error).message}`);
    }
  }
  const set = <T extends object>(section: T | undefined, values: Record<string, unknown>) =>
    ({ ...(section ?? {}), ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) }) as T;
  return resolveConfig({
    ...input,
    stack: set(input.stack, { name: flags.name }),
    job: set(input.job, { kind: flags.job, checkpointInterval: flags.interval }),
    replay: set(input.replay, { trace: flags.trace, peakRateEps: num(flags.peak, 'peak'), compression: num(flags.compression, 'compression'), duration: flags.duration, seed: num(flags.seed, 'seed') }),
    chaos: set(input.chaos, { failure: flags.failure, at: flags['fail-at'] }),
  });
}

/** Runs `body` with a stack owned by this process: torn down on success, error, Ctrl-C or SIGTERM. */
export async function withOwnedStack<T>(config: ReturnType<typeof configFrom>, body: (stack: Awaited<ReturnType<typeof startLocalStack>>) => Promise<T>): Promise<T> {
  const stack = await startLocalStack(config, log, true);
  const onSignal = (sig: string) => {
    log(`${sig}: tearing the stack down…`);
    void stack.down().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(stack);
  } finally {
    log('tearing the stack down…');
    await stack.down();
    log('stack down: no process left');
  }
}

