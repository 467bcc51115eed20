import { KhaosError } from '../../core/errors.js';
import { FINAL_RECONFIG_STEPS, type CommandRecord, type ControlEvent, type ControlRun, type ControlRunStatus, type DecisionRecord, type OperatorCommand, type ReconfigRecord } from '../../core/control/records.js';
import type { ControlStore } from '../../ports/control-store.js';

/** ControlStore in memory; copies on the way in and out, as a database would. Non-finite numbers come back as null, as from SQLite. */
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x))) as T;

export class MemoryControlStore implements ControlStore {
  private readonly runs: ControlRun[] = [];
  private readonly decisionRows: DecisionRecord[] = [];
  private readonly eventRows: ControlEvent[] = [];

  createRun(run: ControlRun): void {
    this.runs.push(copy(run));
  }
  setRunStatus(id: string, status: ControlRunStatus, jobId?: string): void {
    const r = this.runs.find((x) => x.id === id);
    if (!r) throw new KhaosError('bad-input', `no control run "${id}"`, 'list runs with `khaos control status`');
    r.status = status;
    if (jobId) r.jobId = jobId;
  }
  listRuns(): ControlRun[] {
    return copy([...this.runs].reverse().sort((a, b) => b.startedAtMs - a.startedAtMs));
  }
  getRun(id: string): ControlRun | undefined {
    const r = this.runs.find((x) => x.id === id);
    return r ? copy(r) : undefined;
  }
  recordDecision(d: DecisionRecord): void {
    this.decisionRows.push(copy(d));
  }
  decisions(runId: string, skip = 0): DecisionRecord[] {
    return copy(this.decisionRows.filter((d) => d.runId === runId).slice(skip));
  }
  recordEvent(e: ControlEvent): void {
    this.eventRows.push(copy(e));
  }
  events(runId: string, kind?: string, skip = 0): ControlEvent[] {
    return copy(this.eventRows.filter((e) => e.runId === runId && (kind === undefined || e.kind === kind)).slice(skip));
  }
  private readonly reconfigRows: ReconfigRecord[] = [];
  saveReconfiguration(r: ReconfigRecord): void {
    const i = this.reconfigRows.findIndex((x) => x.id === r.id);
    if (i >= 0) this.reconfigRows[i] = copy(r);
    else this.reconfigRows.push(copy(r));
  }
  openReconfiguration(target: string): ReconfigRecord | undefined {
    return this.reconfigurations(target)
      .reverse()
      .find((r) => !FINAL_RECONFIG_STEPS.includes(r.step));
  }
  reconfigurations(target: string): ReconfigRecord[] {
    return copy(this.reconfigRows.filter((r) => r.target === target).sort((a, b) => a.startedAtMs - b.startedAtMs));
  }
  private readonly commandRows: CommandRecord[] = [];
  queueCommand(runId: string, atMs: number, command: OperatorCommand): number {
    const seq = this.commandRows.length + 1;
    this.commandRows.push(copy({ seq, runId, atMs, command }));
    return seq;
  }
  pendingCommands(runId: string): CommandRecord[] {
    return this.commands(runId).filter((c) => c.takenAtMs === undefined);
  }
  commands(runId: string): CommandRecord[] {
    return copy(this.commandRows.filter((c) => c.runId === runId));
  }
  settleCommand(seq: number, takenAtMs: number, outcome: string): void {
    const c = this.commandRows.find((x) => x.seq === seq);
    if (c) Object.assign(c, { takenAtMs, outcome });
  }
  close(): void {}
}
