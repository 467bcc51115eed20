import type { RunView } from '../control/run-records.js';

/**
 * /metrics in Prometheus's text exposition format (version 0.0.4), from the same run views the
 * dashboard draws: one series per control run (label `run`), so each counter only grows. Units in
 * the names (seconds, not ms), `_total` for counters, as Prometheus's naming conventions ask.
 */

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels: Record<string, string>; value: number }[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Record<string, string>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const valueText = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${valueText(s.value)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** `failed: …` and `refused: …` outcomes counted under their first word. */
const outcomeLabel = (o: string) => o.split(':')[0]!.trim();

/** The families for these runs (the running ones, or the newest when none runs). */
export function controlMetrics(views: readonly RunView[]): string {
  const fam = (name: string, type: Family['type'], help: string, value: (v: RunView) => number | undefined | null): Family => ({
    name, type, help,
    samples: views.flatMap((v) => {
      const x = value(v);
      return x === undefined || x === null ? [] : [{ labels: { run: v.run.id }, value: x }];
    }),
  });
  const lastPredicted = (v: RunView) => [...v.decisions].reverse().find((d) => d.predictions)?.predictions;
  const lastRecovery = (v: RunView) => [...v.failures].reverse().find((f) => f.recovery?.recoverySec !== undefined)?.recovery?.recoverySec;
  const decisions: Family = {
    name: 'khaos_decisions_total', type: 'counter', help: 'Decisions recorded (evaluations of the policy and commands of a person), by outcome.',
    samples: views.flatMap((v) => {
      const counts = new Map<string, number>();
      for (const d of v.decisions) counts.set(outcomeLabel(d.outcome), (counts.get(outcomeLabel(d.outcome)) ?? 0) + 1);
      return [...counts].map(([outcome, n]) => ({ labels: { run: v.run.id, outcome }, value: n }));
    }),
  };
  const events = (v: RunView, kind: string) => v.events.filter((e) => e.kind === kind).length;
  return renderFamilies([
    {
      name: 'khaos_run_info', type: 'gauge', help: 'A control run: its policy, actuator and status (value 1).',
      samples: views.map((v) => ({ labels: { run: v.run.id, policy: v.run.policy, actuator: v.run.actuator, status: v.run.status, job: v.run.jobId ?? '' }, value: 1 })),
    },
    fam('khaos_checkpoint_interval_seconds', 'gauge', 'The checkpoint interval in force.', (v) => (v.run.intervalMs ?? v.series.at(-1)?.intervalMs ?? v.run.fallbackIntervalMs) / 1000),
    fam('khaos_predicted_recovery_seconds', 'gauge', 'Predicted recovery time at the interval in force (last prediction).', (v) => lastPredicted(v)?.recoveryS?.mid),
    fam('khaos_recovery_target_seconds', 'gauge', 'The recovery-time target.', (v) => v.targets.recoveryS),
    fam('khaos_predicted_latency_seconds', 'gauge', 'Predicted p99 latency at the interval in force (last prediction).', (v) => { const l = lastPredicted(v)?.latencyMs; return l === undefined ? undefined : l / 1000; }),
    fam('khaos_latency_target_seconds', 'gauge', 'The p99 latency target.', (v) => (v.targets.latencyMs === undefined ? undefined : v.targets.latencyMs / 1000)),
    decisions,
    fam('khaos_failures_total', 'counter', 'Production failures seen (the job left RUNNING or restarted).', (v) => v.failures.length),
    fam('khaos_last_recovery_seconds', 'gauge', 'Measured recovery time of the last failure that recovered.', lastRecovery),
    fam('khaos_pacer_triggers_total', 'counter', 'Checkpoints the pacer triggered.', (v) => (v.run.actuator === 'paced' ? events(v, 'checkpoint-triggered') : undefined)),
    fam('khaos_pacer_trigger_failures_total', 'counter', 'Checkpoint triggers of the pacer that failed.', (v) => (v.run.actuator === 'paced' ? events(v, 'checkpoint-failed') : undefined)),
  ]);
}
