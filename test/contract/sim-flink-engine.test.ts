import { SimFlinkEngine } from '../../src/adapters/sim/sim-flink-engine.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { flinkEngineContract } from './flink-engine.contract.js';

// The simulator's engine with its default physics: 200 MB state, 8 s to detect a kill, 10 s restart.
flinkEngineContract('SimFlinkEngine', async () => {
  const clock = new ManualClock();
  const engine = new SimFlinkEngine(clock, { params: DEFAULT_FLUID_PARAMS, rateEps: [2000], fallbackIntervalMs: 5000 });
  return {
    engine,
    checkpointIntervalMs: 5000,
    savepointDirectory: 'file:/sim/savepoints',
    kill: async () => engine.fail('kill'),
    waitMs: (ms) => clock.sleep(ms),
    cleanup: async () => {},
  };
});
