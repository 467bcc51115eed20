import { INTERVAL_KEY } from './render.js';

/**
 * What Khaos reads from a FlinkDeployment it controls but did not create (`khaos control
 * --flinkdeployment`): its checkpoint interval as Flink would parse it, its upgrade mode, and the
 * window of the operator's checkpoint-progress health check. Pure: objects in, facts out.
 */

/** Flink's TimeUtils.parseDuration units (a bare number is milliseconds). */
const FLINK_UNITS: [RegExp, number][] = [
  [/^(d|day|days)$/, 86_400_000],
  [/^(h|hour|hours)$/, 3_600_000],
  [/^(min|m|minute|minutes)$/, 60_000],
  [/^(s|sec|secs|second|seconds)$/, 1000],
  [/^(ms|milli|millis|millisecond|milliseconds)$/, 1],
];

/** `"10 min"`, `"60s"`, `"600000"`, `"2 h"` → ms, as Flink reads a duration option; undefined when Flink would refuse it. */
export function flinkDurationMs(text: string | undefined): number | undefined {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const factor = unit === '' ? 1 : FLINK_UNITS.find(([re]) => re.test(unit))?.[1];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/** The checkpoint interval a FlinkDeployment's spec asks for, ms; undefined when checkpointing is off (unset, 0, or not a duration). */
export function specIntervalMs(conf: Readonly<Record<string, string>> | undefined): number | undefined {
  const ms = flinkDurationMs(conf?.[INTERVAL_KEY]);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** The operator's upgrade modes (JobSpec.upgradeMode, default stateless). */
export type UpgradeMode = 'savepoint' | 'last-state' | 'stateless';

/** `spec.job.upgradeMode`, stateless when unset (the CRD's and JobSpec's default). */
export function upgradeModeOf(job: { upgradeMode?: string } | undefined): UpgradeMode {
  return (job?.upgradeMode ?? 'stateless') as UpgradeMode;
}

/** Why the restart actuator refuses an upgrade mode, or undefined when it can use it. */
export function upgradeModeProblem(mode: UpgradeMode): string | undefined {
  if (mode !== 'stateless') return undefined;
  return 'its upgradeMode is stateless: on a spec change the operator cancels the job and starts it from empty state, so every interval change would lose the job’s state (and replay or drop its input)';
}

const HEALTH = 'kubernetes.operator.cluster.health-check';

/** The operator's checkpoint-progress health check as the deployment's flinkConfiguration sets it (operator defaults elsewhere). */
export interface HealthCheckWindow {
  /** `…health-check.enabled` (default false) and `…checkpoint-progress.enabled` (default true) both on in the spec. */
  enabled: boolean;
  /** max(interval, checkpoint timeout) × (tolerable failures + 2): the shortest window the operator accepts, and its default. */
  minMs: number;
  /** `…checkpoint-progress.window` as set, if any. */
  explicitMs?: number;
  /** The window the operator uses: the explicit one when at least minMs, else minMs. */
  windowMs: number;
}

/**
 * The window of the operator's checkpoint-progress health check for a job checkpointing every
 * `intervalMs` (ClusterHealthEvaluator.evaluateCheckpoints, operator 1.15): a job that completes
 * no checkpoint for that long is unhealthy and the operator restarts its cluster. Flink's
 * defaults: checkpoint timeout 10 min, 0 tolerable failures.
 */
export function healthCheckWindow(conf: Readonly<Record<string, string>> | undefined, intervalMs: number): HealthCheckWindow {
  const enabled = conf?.[`${HEALTH}.enabled`] === 'true' && conf?.[`${HEALTH}.checkpoint-progress.enabled`] !== 'false';
  const timeoutMs = flinkDurationMs(conf?.['execution.checkpointing.timeout']) ?? 600_000;
  const tolerable = Number(conf?.['execution.checkpointing.tolerable-failed-checkpoints'] ?? '0') || 0;
  const minMs = Math.max(intervalMs, timeoutMs) * (tolerable + 2);
  const explicitMs = flinkDurationMs(conf?.[`${HEALTH}.checkpoint-progress.window`]);
  return { enabled, minMs, explicitMs, windowMs: explicitMs !== undefined && explicitMs >= minMs ? explicitMs : minMs };
}

/**
 * What to tell the user about the health check before control starts. Khaos's paced checkpoints
 * complete like Flink's own, so they count as progress; if Khaos stops or pauses, the
 * deployment's own interval still completes checkpoints well within the window (at least twice
 * it). So the check never restarts a job because Khaos paces it; what a long interval costs is
 * that a job whose checkpoints stall is restarted only after the (longer) window.
 */
export function healthCheckNotes(conf: Readonly<Record<string, string>> | undefined, intervalMs: number): string[] {
  const h = healthCheckWindow(conf, intervalMs);
  if (!h.enabled) return [];
  const min = (ms: number) => `${+(ms / 60_000).toFixed(1)} min`;
  const notes = [`the operator's checkpoint-progress health check is on: a job that completes no checkpoint within ${min(h.windowMs)} is restarted by the operator. Khaos's paced checkpoints count as progress, and its own interval ${min(intervalMs)} keeps completing checkpoints if Khaos stops, so pacing never trips it; a stalled job is restarted only after ${min(h.windowMs)}`];
  if (h.explicitMs !== undefined && h.explicitMs < h.minMs) notes.push(`${HEALTH}.checkpoint-progress.window is ${min(h.explicitMs)}, shorter than the operator's minimum for this interval (max(interval, timeout) × (tolerable failures + 2) = ${min(h.minMs)}): the operator uses ${min(h.minMs)} instead`);
  return notes;
}
