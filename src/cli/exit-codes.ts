import { KhaosError, type KhaosErrorKind } from '../core/errors.js';

/**
 * The exit codes of `khaos`, one meaning each, so a script or CI can tell a typo from a broker that
 * elected no leader in time. Listed in the README ("Exit codes") and in `khaos --help`.
 */
export const EXIT = {
  ok: 0,
  /** The command ran to its end, but its own check failed (output lost or duplicated, no recovery). */
  checkFailed: 1,
  /** Bad input: a config, flag, file or database the user can fix; nothing was changed. */
  badInput: 2,
  /** The platform or the machine failed: Kafka, Flink, the network, a process that died, a missing tool, a wait that ran out. Trying again may pass. */
  platform: 3,
  /** A bug in Khaos (EX_SOFTWARE of sysexits.h). */
  bug: 70,
  /** Stopped by Ctrl-C or SIGTERM. */
  interrupted: 130,
} as const;

const BY_KIND: Record<KhaosErrorKind, number> = {
  'bad-input': EXIT.badInput,
  environment: EXIT.platform,
  platform: EXIT.platform,
  timeout: EXIT.platform,
  bug: EXIT.bug,
};

/** The exit code of an error that ended a command: by its kind for a KhaosError; anything else is a bug. */
export const exitCodeFor = (e: unknown): number => (e instanceof KhaosError ? BY_KIND[e.kind] : EXIT.bug);

/** The table of `khaos --help` (the README has the same one). */
export const EXIT_CODES_HELP = `
Exit codes:
  0    done
  1    the command ran to its end, but its own check failed (e.g. output lost or duplicated)
  2    bad input (config, flag, file, database): the message says what to fix; nothing was changed
  3    the platform or the machine failed (Kafka, Flink, network, a process that died, a wait
       that ran out): the message names it; trying again may pass
  70   a bug in Khaos: please report it with the output
  130  stopped by Ctrl-C or SIGTERM`;
