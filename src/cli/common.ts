import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import YAML from 'yaml';
import { resolveConfig, type ConfigInput } from '../config/schema.js';
import { badInput, KhaosError } from '../core/errors.js';
import { failureTypeList } from '../core/failure-types.js';
import { onPlatform, startLocalStack, workloadsDir } from '../compose.js';
import type { Platform } from '../app/platform.js';
import { JOB_KINDS } from '../core/load/events.js';
import { overriddenFlinkKeysMessage } from '../core/jobs.js';

export function log(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** Where the commands print: `out` gets text as it is to appear (lines end in "\n"); `err` gets the help shown on a usage error. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where trace names without a path are looked up. */
  workloadsDir: string;
}

/** The process's stdout and stderr, with `over` on top. */
export const processIo = (over: Partial<CliIo> = {}): CliIo => ({
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  workloadsDir: workloadsDir(),
  ...over,
});

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
  failAt?: string;
  seed?: string;
}

const DUR = 'a bare number is milliseconds';
/** The one definition of each config flag: [flags, description]. No commander defaults: an absent flag leaves the config's value. */
const CONFIG_OPTIONS: Record<keyof ConfigFlags, [string, string]> = {
  config: ['--config <file>', 'YAML config (see docs/config.md); the flags override it'],
  name: ['--name <name>', 'stack name (default "default")'],
  job: ['--job <kind>', `sample job: ${JOB_KINDS.join(', ')} (default iot; own jobs: job.kind custom in the config)`],
  interval: ['--interval <dur>', `checkpoint interval, e.g. 5s (${DUR})`],
  trace: ['--trace <file>', 'trace path or file name in shared/workloads (default nyc_taxi.csv)'],
  peak: ['--peak <n>', 'events/s at the trace maximum'],
  compression: ['--compression <x>', 'trace seconds per wall second'],
  duration: ['--duration <dur>', `replay length in wall time, e.g. 120s (${DUR})`],
  failure: ['--failure <kind>', `what to inject: ${failureTypeList()}`],
  failAt: ['--fail-at <dur>', `when to inject it, e.g. 60s (${DUR})`],
  seed: ['--seed <n>', 'event generator seed'],
};

/** Adds the config flags `keys` (default: all) to `cmd`; `describe` rewords some for this command. */
export function withConfigOptions(cmd: Command, keys = Object.keys(CONFIG_OPTIONS) as (keyof ConfigFlags)[], describe: Partial<Record<keyof ConfigFlags, string>> = {}): Command {
  for (const k of keys) cmd.option(CONFIG_OPTIONS[k][0], describe[k] ?? CONFIG_OPTIONS[k][1]);
  return cmd;
}

export function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badInput(`--${flag} needs a number, got "${v}"`);
  return n;
}

const CONFIG_EXAMPLE = 'a mapping of sections, e.g. "job:\\n  kind: iot" (see docs/config.md and examples/)';

/**
 * The YAML of a config file as the schema's input. Each way a file can be unusable gets its own
 * message: absent, a directory, unreadable, not YAML, or YAML that is not a mapping (a scalar or
 * a list would otherwise reach the schema as "Unrecognized keys: 0, 1, …").
 */
export function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(`config file ${file} not found`, 'check the path; examples/ holds configs to start from');
    if (code === 'EISDIR') throw badInput(`config file ${file} is a directory`, `give the YAML file itself, e.g. ${path.join(file, 'khaos.yaml')}`);
    if (code === 'EACCES' || code === 'EPERM') throw badInput(`config file ${file} cannot be read: permission denied`, `make it readable (chmod u+r ${file}) or copy it somewhere you can read`);
    throw badInput(`config file ${file} cannot be read: ${(e as Error).message}`, 'give a readable YAML file');
  }
  // A NUL byte is in no text file: the YAML parser would read some binaries as one long string.
  if (text.includes('\0')) throw badInput(`config file ${file} is binary, not a YAML text file`, `give the YAML config itself, written as ${CONFIG_EXAMPLE}`);
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (e) {
    throw badInput(`config file ${file} is not valid YAML: ${(e as Error).message}`, `write it as ${CONFIG_EXAMPLE}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    const what = Array.isArray(parsed) ? 'a list' : `a single ${typeof parsed} value`;
    throw badInput(`config file ${file} holds ${what}, not a mapping of config sections`, `write it as ${CONFIG_EXAMPLE}`);
  }
  return parsed as ConfigInput;
}

/** Config file, then flags on top; every problem reported by the schema at once. */
export function configFrom(flags: ConfigFlags) {
  const input = flags.config ? readConfigFile(flags.config) : {};
  const set = <T extends object>(section: T | undefined, values: Record<string, unknown>) =>
    ({ ...(section ?? {}), ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) }) as T;
  const c = resolveConfig({
    ...input,
    stack: set(input.stack, { name: flags.name }),
    job: set(input.job, { kind: flags.job, checkpointInterval: flags.interval }),
    replay: set(input.replay, { trace: flags.trace, peakRateEps: num(flags.peak, 'peak'), compression: num(flags.compression, 'compression'), duration: flags.duration, seed: num(flags.seed, 'seed') }),
    chaos: set(input.chaos, { failure: flags.failure, at: flags.failAt }),
  });
  // On stderr: `khaos k8s render` prints YAML on stdout.
  if (c.job.flinkConfOverridden.length > 0) process.stderr.write(`warning: ${overriddenFlinkKeysMessage(c.job.flinkConfOverridden)}\n`);
  return c;
}

/** Ctrl-C / SIGTERM: `what` stops after its current tick (the returned check turns true); said once. */
export function stopOnSignals(what: string): () => boolean {
  let stop = false;
  const on = (sig: string) => {
    if (stop) return;
    stop = true;
    log(`${sig}: stopping ${what} after the current tick…`);
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return () => stop;
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

/**
 * Runs `body` on the config's platform (compose.onPlatform): a local stack this process starts
 * and tears down (withOwnedStack), or Kubernetes, where `scope` names the FlinkDeployments.
 */
export const withPlatform = <T>(config: ReturnType<typeof configFrom>, scope: string, body: (platform: Platform) => Promise<T>): Promise<T> =>
  onPlatform(config, scope, log, (onStack) => withOwnedStack(config, onStack), body);

// ---- commander plumbing: one program, usage errors as KhaosError, exit codes from the actions ----

const exitCodes = new WeakMap<Command, number>();
const rootOf = (cmd: Command): Command => (cmd.parent ? rootOf(cmd.parent) : cmd);
/** "models compare" for `khaos models compare`; "" for the program itself. */
export const commandPath = (cmd: Command): string => (cmd.parent ? `${commandPath(cmd.parent)} ${cmd.name()}`.trim() : '');
const helpOf = (cmd: Command) => `\`khaos ${`${commandPath(cmd)} --help`.trim()}\``;

/**
 * Makes `fn` the action of `cmd`: it gets the parsed options and the operands, and what it returns
 * is the exit code `runProgram` returns.
 */
export function act<O extends object>(cmd: Command, fn: (opts: O, args: string[]) => Promise<number> | number): Command {
  return cmd.action(async (...params: unknown[]) => {
    const self = params.at(-1) as Command;
    exitCodes.set(rootOf(self), await fn(self.opts<O>(), self.args));
  });
}

/** A commander usage error of `cmd` as the KhaosError the CLI prints (same wording as the checks the commands make themselves). */
function usageError(cmd: Command, e: CommanderError): KhaosError {
  const path = commandPath(cmd);
  const subs = cmd.commands.map((c) => c.name());
  /** `runsAlone`: the command also runs without a sub-command (profile, control). */
  const unknownCommand = (runsAlone: boolean) => {
    const suggestion = /\(Did you mean (.+)\?\)/.exec(e.message)?.[1];
    const forms = `${path ? `${path} ` : ''}${runsAlone ? '[options] | ' : ''}${subs.join('|')}`;
    return badInput(`unknown ${path ? `${path} ` : ''}command "${cmd.args[0] ?? ''}"${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, `use: khaos ${forms} (see ${helpOf(cmd)})`);
  };
  switch (e.code) {
    case 'commander.unknownCommand':
      return unknownCommand(false);
    case 'commander.excessArguments':
      // Too many words for a command that has sub-commands and runs on its own: the first is a misspelt sub-command.
      if (subs.length > 0) return unknownCommand(true);
      return badInput(`unexpected arguments: ${cmd.args.slice(cmd.registeredArguments.length).join(' ')}`, `see ${helpOf(cmd)}`);
    case 'commander.missingArgument': {
      const name = /argument '(.+)'/.exec(e.message)?.[1];
      const arg = cmd.registeredArguments.find((a) => a.name() === name);
      return badInput(`khaos ${path} needs ${arg?.description || name}`, `see ${helpOf(cmd)}`);
    }
    default: {
      // unknown option, missing option value, …: commander's words, named after the command.
      const text = e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      const top = path.split(' ')[0];
      return badInput(`${top ? `${top}: ` : ''}${text.charAt(0).toUpperCase()}${text.slice(1)}`, `see ${helpOf(cmd)}`);
    }
  }
}

const isHelp = (e: CommanderError) => ['commander.help', 'commander.helpDisplayed', 'commander.version'].includes(e.code);

/**
 * Sets up `program` and every command below it alike: help and errors go to `io` (help of `--help`
 * to `out`), usage errors are thrown as KhaosError('bad-input') naming the command's `--help`, and
 * options count only where they are written (`khaos profile export ID --config F` is an error).
 */
export function configureTree(program: Command, io: CliIo): Command {
  const visit = (cmd: Command) => {
    cmd
      .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined })
      .exitOverride((e) => {
        throw isHelp(e) ? e : usageError(cmd, e);
      })
      .enablePositionalOptions()
      .helpOption('-h, --help', 'show this help');
    cmd.commands.forEach(visit);
  };
  visit(program);
  return program;
}

/**
 * Parses `argv` (the words after `khaos`) and runs the command it names. Returns the exit code: the
 * action's, 0 after `--help`, 2 after help shown because a command was missing. Usage errors and
 * the errors of the commands are thrown (KhaosError for anything the user can act on).
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (isHelp(e)) return e.exitCode === 0 ? 0 : 2;
    throw badInput(e.message.replace(/^error: /, ''), 'see `khaos --help`');
  }
  return exitCodes.get(program) ?? 0;
}

/** One command on its own under a `khaos` program, parsed and run as the CLI would (for its tests and callers). */
export function runAlone(add: (program: Command, io: CliIo) => unknown, argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('khaos');
  add(program, io);
  return runProgram(configureTree(program, io), argv);
}
