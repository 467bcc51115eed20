import { z } from 'zod';

/** Schemas of the Flink REST answers Khaos reads: only the fields it uses are checked; extra ones pass. */
const jobState = z.enum(['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING']);

export const jobsOverview = z.object({
  jobs: z.array(z.object({ jid: z.string(), name: z.string(), state: jobState, 'start-time': z.number() })),
});

export const jobDetails = z.object({
  jid: z.string(),
  name: z.string(),
  state: jobState,
  'start-time': z.number(),
  timestamps: z.record(z.string(), z.number()),
  vertices: z.array(z.object({ id: z.string(), name: z.string(), parallelism: z.number(), status: z.string() })),
});

export const vertexDetails = z.object({
  subtasks: z.array(z.object({ subtask: z.number(), status: z.string(), attempt: z.number(), 'taskmanager-id': z.string() })),
});

const completed = z.object({
  id: z.number(),
  trigger_timestamp: z.number(),
  latest_ack_timestamp: z.number(),
  end_to_end_duration: z.number(),
  state_size: z.number(),
  checkpointed_size: z.number().optional(),
  is_savepoint: z.boolean(),
});

export const checkpoints = z.object({
  counts: z.object({ completed: z.number(), failed: z.number(), in_progress: z.number(), restored: z.number(), total: z.number() }),
  latest: z.object({
    completed: completed.nullable().optional(),
    restored: z
      .object({ id: z.number(), restore_timestamp: z.number(), is_savepoint: z.boolean(), external_path: z.string().optional() })
      .nullable()
      .optional(),
  }),
});

export const checkpointConfig = z.object({
  mode: z.string(),
  interval: z.number(),
  timeout: z.number(),
  min_pause: z.number(),
  tolerable_failed_checkpoints: z.number().optional(),
});

const failureCause = z.object({ 'stack-trace': z.string().optional(), class: z.string().optional() }).passthrough();

/** `GET /jobs/:id/checkpoints/:triggerid`: an async operation whose result is a checkpoint id or a failure. */
export const checkpointTriggerStatus = z.object({
  status: z.object({ id: z.enum(['IN_PROGRESS', 'COMPLETED']) }),
  operation: z
    // Flink 2.2.1 names the cause `failureCause` here (savepoints say `failure-cause`): accept both.
    .object({ checkpointId: z.number().optional(), failureCause: failureCause.optional(), 'failure-cause': failureCause.optional() })
    .nullable()
    .optional(),
});

export const exceptions = z.object({
  exceptionHistory: z.object({
    entries: z.array(
      z.object({
        exceptionName: z.string(),
        timestamp: z.number(),
        taskName: z.string().nullable().optional(),
        taskManagerId: z.string().nullable().optional(),
      }),
    ),
  }),
});

export const taskManagers = z.object({
  taskmanagers: z.array(z.object({ id: z.string(), slotsNumber: z.number(), freeSlots: z.number() })),
});

/** Aggregated vertex metrics: `[{id, min?, max?, avg?, sum?}]`. */
export const aggregatedMetrics = z.array(
  z.object({ id: z.string(), min: z.number().optional(), max: z.number().optional(), avg: z.number().optional(), sum: z.number().optional() }),
);

/** Job metrics: `[{id, value}]`, value as a string. */
export const metricValues = z.array(z.object({ id: z.string(), value: z.string() }));

export const triggerResponse = z.object({ 'request-id': z.string() });

export const savepointStatus = z.object({
  status: z.object({ id: z.enum(['IN_PROGRESS', 'COMPLETED']) }),
  operation: z
    .object({ location: z.string().optional(), 'failure-cause': z.object({ 'stack-trace': z.string().optional(), class: z.string().optional() }).passthrough().optional() })
    .nullable()
    .optional(),
});

export const metricNames = z.array(z.object({ id: z.string() }));

export const clusterOverview = z.object({ taskmanagers: z.number(), 'flink-version': z.string() });
