import { describe, expect, it } from 'vitest';
import { FluidFlinkCluster } from '../../src/adapters/sim/fluid-flink-cluster.js';
import { FluidFlinkEngine } from '../../src/adapters/sim/fluid-flink-engine.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { SAMPLE_JOBS } from '../../src/adapters/sim/sample-jobs.js';
import { SimFlinkEngine } from '../../src/adapters/sim/sim-flink-engine.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';

/** The job's state and its vertices' statuses, as the REST API answers them. */
async function shown(engine: FluidFlinkEngine): Promise<[string, string[]]> {
  const [job] = await engine.listJobs();
  const details = await engine.job(job!.id);
  return [details.state, [...new Set(details.vertices.map((v) => v.status))]];
}

describe('the simulated Flink cluster shows the fluid phases as Flink does (core/sim/flink-states.ts)', () => {
  it('a new job is RUNNING at once, its tasks DEPLOYING until they run', async () => {
    const clock = new ManualClock();
    const cluster = new FluidFlinkCluster(
      { name: 'c', job: SAMPLE_JOBS.iot, parallelism: 2, params: DEFAULT_FLUID_PARAMS, intervalMs: 10_000, atMs: clock.now(), startupMs: 4000 },
      { rateAt: () => 1000, changeAfter: () => undefined },
    );
    const engine = new FluidFlinkEngine('sim://c', clock, () => cluster);
    expect(await shown(engine)).toEqual(['RUNNING', ['DEPLOYING']]);
    await clock.sleep(4000);
    expect(await shown(engine)).toEqual(['RUNNING', ['RUNNING']]);
  });

  it('a failover is RESTARTING with CANCELED tasks, then RUNNING with tasks INITIALIZING while they restore', async () => {
    const clock = new ManualClock();
    const engine = new SimFlinkEngine(clock, { params: DEFAULT_FLUID_PARAMS, rateEps: [1000], fallbackIntervalMs: 10_000 });
    await clock.sleep(15_000);
    engine.fail('kill');
    expect(await shown(engine)).toEqual(['RUNNING', ['RUNNING']]); // not detected yet (8 s)
    await clock.sleep(8000);
    expect(await shown(engine)).toEqual(['RESTARTING', ['CANCELED']]);
    await clock.sleep(10_000); // the restart delay; then 2 s to restore 200 MB
    expect(await shown(engine)).toEqual(['RUNNING', ['INITIALIZING']]);
    await clock.sleep(2000);
    expect(await shown(engine)).toEqual(['RUNNING', ['RUNNING']]);
  });
});
