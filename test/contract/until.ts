import type { FlinkEngine, JobDetails } from '../../src/ports/flink-engine.js';

/** How a contract subject lets its platform's time pass, and how long a contract may wait for it. */
export interface PlatformTime {
  /** Lets `ms` of the platform's time pass: a real sleep, or advancing a ManualClock. */
  waitMs(ms: number): Promise<void>;
  /** Platform time each wait may take before the test fails, ms (default 120 000). */
  deadlineMs?: number;
  /** Platform time between two polls, ms (default 250). */
  pollMs?: number;
}

/**
 * Polls `probe` until it answers something (an error counts as "not yet") and fails with `what`
 * once the subject's deadline of platform time has passed.
 */
export async function until<T>(s: PlatformTime, what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = s.deadlineMs ?? 120_000;
  const poll = s.pollMs ?? 250;
  let last: unknown;
  for (let waited = 0; ; waited += poll) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (waited >= deadline) {
      throw new Error(`${what}: not reached within ${deadline} ms of platform time${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await s.waitMs(poll);
  }
}

/** The job that is RUNNING with every vertex RUNNING, or undefined (a failover may keep the job RUNNING while its tasks restart). */
export async function fullyRunning(engine: FlinkEngine): Promise<JobDetails | undefined> {
  const job = (await engine.listJobs()).find((j) => j.state === 'RUNNING');
  if (!job) return undefined;
  const details = await engine.job(job.id);
  return details.state === 'RUNNING' && details.vertices.every((v) => v.status === 'RUNNING') ? details : undefined;
}

/** Waits for the job at `engine` to run with every vertex RUNNING, and returns it. */
export const runningJob = (s: PlatformTime, engine: FlinkEngine) => until(s, `the job at ${engine.restUrl} RUNNING with every vertex RUNNING`, () => fullyRunning(engine));

/** What a KhaosError of `kind` matches (for toMatchObject / objectContaining). */
export const khaosError = (kind: string) => ({ name: 'KhaosError', kind });
