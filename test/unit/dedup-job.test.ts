import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { notingIds } from '../../src/app/reconcile-output.js';
import { resolveConfig } from '../../src/config/schema.js';
import { DEDUP_DEFAULTS, eventGenerator, failMarker, flushEvent } from '../../src/core/load/events.js';
import { builtInJob } from '../../src/core/jobs.js';
import { replicaDeployment } from '../../src/core/k8s/render.js';
import { seededRandom } from '../../src/core/random.js';
import { reconcileFirstOccurrences } from '../../src/core/reconcile.js';

type Click = { id: string; user: string; ts: number };

/** `n` clicks, one every `stepMs` from 0. */
function clicks(n: number, stepMs: number, opts = DEDUP_DEFAULTS, seed = 1): { key: string; click: Click }[] {
  const generate = eventGenerator('dedup', seededRandom(seed), opts);
  return Array.from({ length: n }, (_, i) => {
    const e = generate(i * stepMs);
    return { key: e.key, click: JSON.parse(e.value) as Click };
  });
}

describe('the dedup job’s input', () => {
  it('repeats about repeatShare of its events, each within repeatMaxAgeMs of its id’s first send', () => {
    const opts = { ...DEDUP_DEFAULTS, repeatShare: 0.25, repeatMaxAgeMs: 2_000 };
    const events = clicks(20_000, 1, opts); // 1,000 ev/s for 20 s
    const firstAt = new Map<string, number>();
    let repeats = 0;
    for (const { key, click } of events) {
      expect(key).toBe(click.user); // Kafka key = the job's audit key
      const first = firstAt.get(click.id);
      if (first === undefined) firstAt.set(click.id, click.ts);
      else {
        repeats++;
        expect(click.ts - first).toBeLessThanOrEqual(opts.repeatMaxAgeMs);
      }
    }
    expect(repeats / events.length).toBeGreaterThan(0.23);
    expect(repeats / events.length).toBeLessThan(0.27);
    // First occurrences are numbered from 0 in order of their first send.
    expect([...firstAt.keys()].slice(0, 3).map((id) => id.replace(/^c-[0-9a-z]{4}-/, ''))).toEqual(['000000000', '000000001', '000000002']);
  });

  it('repeats no id whose first send is older than repeatMaxAgeMs, even at a rate too low to fill its pool', () => {
    const opts = { ...DEDUP_DEFAULTS, repeatShare: 0.5, repeatMaxAgeMs: 3_000 };
    const events = clicks(200, 1_000, opts); // 1 ev/s: the pool holds at most 3 ids
    const firstAt = new Map<string, number>();
    for (const { click } of events) {
      const first = firstAt.get(click.id);
      if (first === undefined) firstAt.set(click.id, click.ts);
      else expect(click.ts - first).toBeLessThanOrEqual(3_000);
    }
  });

  it('sends no repeat at repeatShare 0, and two seeds never share an id', () => {
    const a = clicks(5_000, 1, { ...DEDUP_DEFAULTS, repeatShare: 0 }, 1).map((e) => e.click.id);
    expect(new Set(a).size).toBe(a.length);
    const b = clicks(100, 1, DEDUP_DEFAULTS, 2).map((e) => e.click.id);
    expect(b.some((id) => a.includes(id))).toBe(false);
  });

  it('is deterministic for a seed', () => {
    expect(clicks(500, 3)).toEqual(clicks(500, 3));
  });

  it('puts its control records in the id field, as DedupJob reads them', () => {
    expect(JSON.parse(flushEvent('id', 5).value)).toEqual({ id: '__flush__', ts: 5 });
    expect(JSON.parse(failMarker('id', 2, 'g').value)).toEqual({ id: '__fail__', failAtAttempt: 2, groupId: 'g' });
  });
});

describe('the dedup job’s arguments and settings', () => {
  it('passes retention and state payload to the dedup job only', () => {
    // The job's own arguments follow the twelve shared ones (six options and their placeholders).
    const jobArgs = (kind: 'iot' | 'dedup', dedup?: typeof DEDUP_DEFAULTS) => builtInJob(kind, dedup).args.slice(12);
    expect(jobArgs('dedup', { ...DEDUP_DEFAULTS, retentionMs: 90_000, statePayloadBytes: 512 })).toEqual(['--retention-ms', '90000', '--state-payload-bytes', '512']);
    expect(jobArgs('dedup')).toEqual(['--retention-ms', '60000', '--state-payload-bytes', '300']);
    // The payload as named attributes only when asked: the default's arguments stay as they were.
    expect(jobArgs('dedup', { ...DEDUP_DEFAULTS, stateAttributes: 20 })).toEqual(['--retention-ms', '60000', '--state-payload-bytes', '300', '--state-attributes', '20']);
    expect(jobArgs('iot', { ...DEDUP_DEFAULTS, retentionMs: 1 })).toEqual([]);
  });

  it('reads job.dedup with units compiled, and defaults matching the job’s', () => {
    const c = resolveConfig({ job: { kind: 'dedup', dedupRetention: '2min', dedupStatePayloadBytes: 1000, dedupStateAttributes: 20, dedupRepeatMaxAge: '90s' } });
    expect(c.job.dedup).toEqual({ retentionMs: 120_000, statePayloadBytes: 1000, stateAttributes: 20, repeatShare: 0.2, repeatMaxAgeMs: 90_000 });
    expect(() => resolveConfig({ job: { dedupStateAttributes: -1 } })).toThrow(/dedupStateAttributes/);
    expect(resolveConfig({}).job.dedup).toEqual(DEDUP_DEFAULTS);
  });

  it('refuses repeats that could outlive their id’s retention, naming both settings', () => {
    expect(() => resolveConfig({ job: { dedupRetention: '30s', dedupRepeatMaxAge: '30s' } })).toThrow(/job\.dedupRepeatMaxAge: "30s" is not below dedupRetention "30s"/);
  });

  it('examples/profile-dedup-one-at-a-time.yaml replays more than a retention before each failure, so the state is full when it hits', () => {
    const c = resolveConfig(YAML.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'profile-dedup-one-at-a-time.yaml'), 'utf8')));
    expect(c.job.kind).toBe('dedup');
    expect(c.profile.injection).toBe('one-at-a-time');
    expect(c.profile.beforeSec * 1000).toBeGreaterThan(c.job.dedup.retentionMs);
  });

  it('renders the dedup job’s arguments into its FlinkDeployment', () => {
    const k = { namespace: 'ns', image: 'img', flinkVersion: 'v2_2', flinkServiceAccount: 'flink', serviceAccount: 'khaos', stateDir: 's3://b', jarURI: 'local:///j.jar', kafkaBootstrap: 'kafka:9092', jobManagerCpu: 1, jobManagerMemory: '1g', taskManagerCpu: 1, taskManagerMemory: '1g' };
    const r = { name: 'd', profile: 'p', replica: 'r', job: builtInJob('dedup', { ...DEDUP_DEFAULTS, retentionMs: 5_000 }), checkpointIntervalMs: 1000, parallelism: 1, inputTopic: 'i', outputTopic: 'o', auditTopic: 'a', groupId: 'g', txnPrefix: 't', heartbeatIntervalMs: 1, heartbeatTimeoutMs: 2, restartDelayMs: 3 };
    const spec = replicaDeployment(k, r).spec as { job: { entryClass: string; args: string[] } };
    expect(spec.job.entryClass).toBe('dev.khaos.jobs.DedupJob');
    expect(spec.job.args.slice(-4)).toEqual(['--retention-ms', '5000', '--state-payload-bytes', '300']);
  });
});

describe('reconcileFirstOccurrences', () => {
  const sent = new Set(['a', 'b', 'c']);
  it('accepts each id sent, once', () => {
    expect(reconcileFirstOccurrences(sent, ['c', 'a', 'b'])).toEqual({ ok: true, expected: 3, emitted: 3, missing: 0, duplicated: 0, unexpected: 0 });
  });
  it('finds a missing id, a repeat that came out again, and an id never sent', () => {
    expect(reconcileFirstOccurrences(sent, ['a', 'a', 'b', 'z'])).toEqual({ ok: false, expected: 3, emitted: 4, missing: 1, duplicated: 1, unexpected: 1 });
  });
  it('notes every distinct id a generator sends', () => {
    const noted = notingIds(eventGenerator('dedup', seededRandom(3), { ...DEDUP_DEFAULTS, repeatShare: 0.5 }));
    for (let i = 0; i < 1000; i++) noted.generate(i);
    expect(noted.ids.size).toBeGreaterThan(400);
    expect(noted.ids.size).toBeLessThan(600);
  });
});
