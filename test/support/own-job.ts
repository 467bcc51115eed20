import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { MessageBus } from '../../src/ports/message-bus.js';

/** The example own job (examples/own-job): its project, jar and entry class. */
export const OWN_JOB = {
  dir: (repoRoot: string) => path.join(repoRoot, 'examples', 'own-job'),
  jar: (repoRoot: string) => path.join(repoRoot, 'examples', 'own-job', 'target', 'fraud-scoring.jar'),
  entryClass: 'com.example.fraud.FraudScoringJob',
};

/** Builds the example job with its own script (examples/own-job/build.sh); throws with Maven's output when it fails. */
export function buildOwnJob(repoRoot: string): string {
  const r = spawnSync(path.join(OWN_JOB.dir(repoRoot), 'build.sh'), ['-o'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`examples/own-job/build.sh exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  const jar = OWN_JOB.jar(repoRoot);
  if (!fs.existsSync(jar)) throw new Error(`examples/own-job/build.sh did not leave ${jar}`);
  return jar;
}

/**
 * Submits a jar to a Flink session cluster the way a user does with curl: `POST /jars/upload`
 * (multipart, field `jarfile`), then `POST /jars/<id>/run` with the entry class and arguments.
 * Returns the job id Flink answers.
 */
export async function submitJar(restUrl: string, jar: string, entryClass: string, programArgsList: string[], parallelism?: number): Promise<string> {
  const form = new FormData();
  form.append('jarfile', new Blob([fs.readFileSync(jar)], { type: 'application/java-archive' }), path.basename(jar));
  const up = await fetch(`${restUrl}/jars/upload`, { method: 'POST', body: form });
  const uploaded = (await up.json()) as { filename?: string; errors?: string[] };
  if (!up.ok || !uploaded.filename) throw new Error(`jar upload answered ${up.status}: ${JSON.stringify(uploaded)}`);
  const jarId = path.basename(uploaded.filename);
  const run = await fetch(`${restUrl}/jars/${jarId}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entryClass, programArgsList, parallelism }) });
  const started = (await run.json()) as { jobid?: string; errors?: string[] };
  if (!run.ok || !started.jobid) throw new Error(`jar run answered ${run.status}: ${JSON.stringify(started).slice(0, 2000)}`);
  return started.jobid;
}

/** One payment as the example job reads it; cards drawn from `cards`, amounts 1–200. */
export function payment(n: number, cards: number, nowMs: number): { key: string; value: string } {
  const card = `card-${(n * 7919) % cards}`;
  return { key: card, value: JSON.stringify({ paymentId: `p${n}`, card, amount: 1 + ((n * 37) % 200), ts: nowMs }) };
}

/**
 * Produces payments into `topic` at about `ratePerSec` until `stop()` says so (one batch every
 * 100 ms); resolves with how many it produced.
 */
export async function producePayments(bus: MessageBus, topic: string, ratePerSec: number, stop: () => boolean, cards = 500): Promise<number> {
  let n = 0;
  const startMs = Date.now();
  while (!stop()) {
    const due = Math.floor(((Date.now() - startMs) / 1000) * ratePerSec);
    const batch = [];
    for (; n < due; n++) batch.push(payment(n, cards, Date.now()));
    if (batch.length > 0) await bus.produce(topic, batch);
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}
