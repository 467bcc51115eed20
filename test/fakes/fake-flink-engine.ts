import type { FluidFlinkCluster } from '../../src/adapters/sim/fluid-flink-cluster.js';
import { FluidFlinkEngine } from '../../src/adapters/sim/fluid-flink-engine.js';
import type { Clock } from '../../src/ports/clock.js';

/** One recorded call: which method, its arguments, and the clock's time. */
export interface RecordedCall {
  method: string;
  args: unknown[];
  atMs: number;
}

/**
 * The FlinkEngine of one fake replica: the simulator's FluidFlinkEngine over the replica's
 * cluster, found by its REST URL at every call (like an HTTP client: a replica stopped or
 * relaunched answers, or not, as the real JobManager would), with switches and a recorder.
 *
 * Switches: `unreachable` makes every call fail like a dead JobManager; `failNextSavepoint`
 * makes the next stopWithSavepoint fail with Flink's CheckpointException while the job keeps
 * running. `calls` records every call.
 */
export class FakeFlinkEngine extends FluidFlinkEngine {
  unreachable = false;
  failNextSavepoint = false;
  readonly calls: RecordedCall[] = [];

  constructor(restUrl: string, lookup: (restUrl: string) => FluidFlinkCluster | undefined, clock: Clock) {
    super(restUrl, clock, () => lookup(restUrl));
  }

  protected override live(method: string, args: unknown[], http: string): FluidFlinkCluster {
    this.calls.push({ method, args, atMs: this.clock.now() });
    const m = super.live(method, args, http);
    if (this.unreachable) throw this.refused(http);
    return m;
  }

  protected override refusesSavepoint(): boolean {
    const refuse = this.failNextSavepoint;
    this.failNextSavepoint = false;
    return refuse;
  }
}
