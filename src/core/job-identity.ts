import { badInput } from './errors.js';
import { overriddenFlinkKeys, type JobDescriptor } from './jobs.js';

/**
 * Which job models were fitted for: a profile, a samples CSV and a model file carry it, and
 * `control` and `evaluate` compare it with the job they run. The fingerprint hashes the jar's
 * bytes (for a sample job, the project's jobs jar), the entry class, the parallelism and the
 * Flink options that shape recovery.
 */
export interface JobIdentity {
  /** 16 hex digits over the fields below. */
  fingerprint: string;
  name: string;
  entryClass: string;
  /** sha256 of the jar's bytes ('not built' when it was not there; `jarURI <uri>` for an own job known only by its URI in an image). */
  jarSha256: string;
  parallelism: number;
  /** job.flinkConf options that shape recovery (state backend, checkpointing mode, memory, max parallelism); Khaos's own keys excluded. */
  recoveryConf: Readonly<Record<string, string>>;
}

/** Prefixes (and keys) of Flink options that change how long a recovery takes or what a checkpoint holds. */
const RECOVERY_SHAPING = ['state.', 'execution.checkpointing.', 'taskmanager.memory.', 'pipeline.max-parallelism'];

/** 64-bit FNV-1a of a string, as 16 hex digits (pure: the core has no crypto). */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/** The identity of `job` at `parallelism`, its jar's bytes hashing to `jarSha256`. */
export function jobIdentity(job: Pick<JobDescriptor, 'name' | 'entryClass' | 'flinkConf'>, parallelism: number, jarSha256: string): JobIdentity {
  const khaos = new Set(overriddenFlinkKeys(job.flinkConf));
  const recoveryConf = Object.fromEntries(
    Object.entries(job.flinkConf)
      .filter(([k]) => !khaos.has(k) && RECOVERY_SHAPING.some((p) => k === p || (p.endsWith('.') && k.startsWith(p))))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const fields = { name: job.name, entryClass: job.entryClass, jarSha256, parallelism, recoveryConf };
  return { fingerprint: fnv1a64(JSON.stringify(fields)), ...fields };
}

/** A jar's hash as messages show it: its first 12 hex digits, or what stands for it. */
const jarText = (hash: string) => (/^[0-9a-f]{64}$/.test(hash) ? `jar sha256 ${hash.slice(0, 12)}…` : hash === 'not built' ? 'jar not built' : hash);

/** "custom com.example.PaymentsJob, jar sha256 1a2b3c4d5e6f…, parallelism 2, state.backend.type=rocksdb (fingerprint 0123…)". */
export function identityText(id: JobIdentity): string {
  const conf = Object.entries(id.recoveryConf).map(([k, v]) => `${k}=${v}`);
  return `${id.name} ${id.entryClass}, ${jarText(id.jarSha256)}, parallelism ${id.parallelism}${conf.length ? `, ${conf.join(', ')}` : ''} (fingerprint ${id.fingerprint})`;
}

/** What differs between the job the models were fitted for and the job run now, field by field; empty when they are the same job. */
export function identityDifferences(fitted: JobIdentity, now: JobIdentity): string[] {
  if (fitted.fingerprint === now.fingerprint) return [];
  const diff: string[] = [];
  if (fitted.name !== now.name || fitted.entryClass !== now.entryClass) diff.push(`job ${fitted.name} ${fitted.entryClass}, now ${now.name} ${now.entryClass}`);
  if (fitted.jarSha256 !== now.jarSha256) diff.push(`${jarText(fitted.jarSha256)}, now ${jarText(now.jarSha256)}`);
  if (fitted.parallelism !== now.parallelism) diff.push(`parallelism ${fitted.parallelism}, now ${now.parallelism}`);
  const conf = (c: Readonly<Record<string, string>>) => JSON.stringify(c);
  if (conf(fitted.recoveryConf) !== conf(now.recoveryConf)) diff.push(`recovery options ${conf(fitted.recoveryConf)}, now ${conf(now.recoveryConf)}`);
  return diff;
}

/** The comment line of a samples CSV that carries its job's identity. */
const CSV_PREFIX = 'job-identity: ';

/** The samples CSV comment (without "# ") carrying `id`. */
export const identityComment = (id: JobIdentity): string => `${CSV_PREFIX}${JSON.stringify(id)}`;

/** The job identity a samples CSV's comment carries; undefined for a CSV without one (made before identities, or by hand). */
export function identityFromCsv(text: string, name: string): JobIdentity | undefined {
  const line = text.split(/\r?\n/).find((l) => l.trim().startsWith(`# ${CSV_PREFIX}`));
  if (line === undefined) return undefined;
  try {
    return asIdentity(JSON.parse(line.trim().slice(2 + CSV_PREFIX.length)) as unknown, name);
  } catch (e) {
    throw badInput(`${name}: its "# ${CSV_PREFIX}" comment is not valid JSON (${(e as Error).message})`, 'export the samples again with `khaos profile export ID`, or delete the comment line');
  }
}

/** A stored identity checked for shape; throws bad-input naming `source`. */
export function asIdentity(v: unknown, source: string): JobIdentity {
  const o = v as Partial<JobIdentity> | null;
  const ok = o !== null && typeof o === 'object' && typeof o.fingerprint === 'string' && typeof o.name === 'string' && typeof o.entryClass === 'string' && typeof o.jarSha256 === 'string' && typeof o.parallelism === 'number' && typeof o.recoveryConf === 'object';
  if (!ok) throw badInput(`${source}: its job identity is malformed`, 'export or fit it again with this version of Khaos');
  return o as JobIdentity;
}
