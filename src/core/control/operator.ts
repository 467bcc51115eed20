import type { Decision } from './policy.js';
import type { OperatorCommand } from './records.js';

/**
 * What people told a running controller (docs/dashboard.md, "Mutating calls"). Pure: the
 * controller keeps the state, takes queued commands each tick, and asks `operatorDecision` before
 * its policy: while an override holds or control is paused, the person decides, not the policy.
 */
export interface OperatorState {
  paused: boolean;
  dryRun: boolean;
  override?: { intervalMs: number; untilMs: number };
}

const clockText = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * A command's effect: the next state and the sentence recorded with it, or `refused` (state
 * unchanged) naming why. `startedDry`: a run started in dry-run has no pacer running, so it cannot
 * leave dry-run.
 */
export function applyCommand(s: OperatorState, c: OperatorCommand, nowMs: number, intervalNowMs: number, startedDry: boolean): { state: OperatorState; reason: string; refused?: string } {
  const refuse = (why: string) => ({ state: s, reason: `a person's command was refused: ${why}`, refused: why });
  switch (c.kind) {
    case 'pause':
      return { state: { ...s, paused: true }, reason: `a person paused control: the interval stays at ${intervalNowMs} ms until resumed` };
    case 'resume':
      return { state: { ...s, paused: false, override: undefined }, reason: 'a person resumed control: the policy decides again' };
    case 'dry-run':
      if (!c.on && startedDry) return refuse('this run started in dry-run and runs no pacer; start control again without --dry-run');
      return { state: { ...s, dryRun: c.on }, reason: c.on ? 'a person turned dry-run on: decisions are recorded, never applied' : 'a person turned dry-run off: decisions are applied again' };
    case 'override':
      if (!(Number.isInteger(c.intervalMs) && c.intervalMs > 0)) return refuse(`the interval must be a whole number of ms above 0, got ${c.intervalMs}`);
      if (!(c.untilMs > nowMs)) return refuse(`the override's expiry ${clockText(c.untilMs)} UTC is already past`);
      return { state: { ...s, override: { intervalMs: c.intervalMs, untilMs: c.untilMs } }, reason: `a person set the interval to ${c.intervalMs} ms until ${clockText(c.untilMs)} UTC` };
  }
}

/** The state once an override past its expiry is dropped, and whether one was. */
export function expireOverride(s: OperatorState, nowMs: number): { state: OperatorState; expired: boolean } {
  return s.override && s.override.untilMs <= nowMs ? { state: { ...s, override: undefined }, expired: true } : { state: s, expired: false };
}

/** The decision a person's state imposes this tick, or undefined when the policy decides. */
export function operatorDecision(s: OperatorState, intervalNowMs: number): Decision | undefined {
  const hold = (reason: string): Decision => ({ action: 'wait', fromIntervalMs: intervalNowMs, toIntervalMs: intervalNowMs, reason });
  if (s.override) {
    const { intervalMs, untilMs } = s.override;
    if (intervalMs === intervalNowMs) return hold(`held at ${intervalMs} ms by a person until ${clockText(untilMs)} UTC`);
    return { action: 'change', fromIntervalMs: intervalNowMs, toIntervalMs: intervalMs, reason: `a person set the interval to ${intervalMs} ms until ${clockText(untilMs)} UTC` };
  }
  if (s.paused) return hold('control paused by a person');
  return undefined;
}
