import type { Random } from '../random.js';

/**
 * The sample jobs shipped in jobs/, by the names of their built-in descriptors (core/jobs.ts); each
 * has its own input record shape (see the Java job classes), which the generators here make.
 */
export type JobKind = 'iot' | 'ysb' | 'dedup';

/** Every sample job kind, for the lists the config and the CLI offer. */
export const JOB_KINDS: readonly JobKind[] = ['iot', 'ysb', 'dedup'];

/**
 * The dedup job's settings: the job's own two (its state) and its generator's two (its input).
 * The generator repeats an id only within `repeatMaxAgeMs` of its first send, shorter than the
 * retention, so every repeat falls inside its id's retention and the committed output must hold
 * each distinct id exactly once.
 */
export interface DedupOptions {
  /** How long (event time) the job remembers an id after its first occurrence, ms (DedupJob --retention-ms). */
  retentionMs: number;
  /** Bytes of state kept per remembered id (DedupJob --state-payload-bytes). */
  statePayloadBytes: number;
  /** 0: the payload as one byte array; N: as N named string attributes (DedupJob --state-attributes), which the heap state backend serializes string by string at each checkpoint. */
  stateAttributes: number;
  /** Share of input events that repeat a recent id (a producer's retry), 0–1. */
  repeatShare: number;
  /** A repeat's id was first sent at most this long before, ms; below retentionMs. */
  repeatMaxAgeMs: number;
}

/** The job's own defaults (DedupJob.OPTIONS) and a retry share typical of at-least-once producers under load. */
export const DEDUP_DEFAULTS: Readonly<DedupOptions> = Object.freeze({ retentionMs: 60_000, statePayloadBytes: 300, stateAttributes: 0, repeatShare: 0.2, repeatMaxAgeMs: 30_000 });

/** One input record: `key` is the primary id the job's audit branch counts by. */
export interface InputEvent {
  key: string;
  value: string;
}

/** Makes one job's input events from a seeded generator; `ts` is the event creation time, ms. */
export type EventGenerator = (ts: number) => InputEvent;

const VEHICLES = 1000;
const ADS = 1000;
const USERS = 10_000;
const PAGES = 1000;
const TYPES = ['view', 'click', 'purchase'] as const;
/** The IoT job's area of interest (IotVehiclesJob): about 60 % of positions fall inside it. */
const BOX = { latMin: 40.7, latMax: 40.8, lonMin: -74.02, lonMax: -73.93 };

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Vehicles keep a base speed (40–100 km/h, so roughly a third are speeders) and jitter around it;
 * positions spread over a region a little larger than the job's box.
 */
function iotGenerator(rnd: Random): EventGenerator {
  const base = Array.from({ length: VEHICLES }, () => 40 + rnd.next() * 60);
  const latSpan = (BOX.latMax - BOX.latMin) / 0.8;
  const lonSpan = (BOX.lonMax - BOX.lonMin) / 0.75;
  return (ts) => {
    const v = rnd.int(VEHICLES);
    const id = `v-${pad(v, 6)}`;
    const lat = BOX.latMin - latSpan * 0.1 + rnd.next() * latSpan;
    const lon = BOX.lonMin - lonSpan * 0.125 + rnd.next() * lonSpan;
    const speed = base[v]! + (rnd.next() - 0.5) * 10;
    return { key: id, value: `{"id":"${id}","lat":${lat.toFixed(5)},"lon":${lon.toFixed(5)},"speed":${speed.toFixed(2)},"ts":${ts}}` };
  };
}

/** Ad ids match the job's campaign table (YsbCampaigns: ad-0000 … ad-0999). */
function ysbGenerator(rnd: Random): EventGenerator {
  return (ts) => {
    const ad = `ad-${pad(rnd.int(ADS), 4)}`;
    const type = TYPES[rnd.int(TYPES.length)];
    return { key: ad, value: `{"user":"u-${rnd.int(USERS)}","page":"p-${rnd.int(PAGES)}","ad":"${ad}","type":"${type}","ts":${ts}}` };
  };
}

/** How many recent ids the dedup generator keeps to repeat: bounds its memory at high rates. */
const RECENT_IDS = 100_000;
const DEDUP_USERS = 1000;

/**
 * Clicks with unique ids `c-<tag>-<seq>` (the tag, drawn from the seed, keeps two replays into one
 * topic apart; seq counts first occurrences from 0), each from one of 1,000 users; a share
 * `repeatShare` re-sends an id first sent at most `repeatMaxAgeMs` before (among the last
 * 100,000), with its own send time as ts. The Kafka key (and the job's audit key) is the user.
 */
function dedupGenerator(rnd: Random, o: DedupOptions): EventGenerator {
  const tag = rnd.int(36 ** 4).toString(36).padStart(4, '0');
  const recent: { id: string; user: string; ts: number }[] = new Array(RECENT_IDS);
  let oldest = 0;
  let seq = 0;
  const click = (id: string, user: string, ts: number) => ({ key: user, value: `{"id":"${id}","user":"${user}","ts":${ts}}` });
  return (ts) => {
    while (oldest < seq && (seq - oldest > RECENT_IDS || recent[oldest % RECENT_IDS]!.ts < ts - o.repeatMaxAgeMs)) oldest++;
    if (oldest < seq && rnd.next() < o.repeatShare) {
      const r = recent[(oldest + rnd.int(seq - oldest)) % RECENT_IDS]!;
      return click(r.id, r.user, ts);
    }
    const first = { id: `c-${tag}-${pad(seq, 9)}`, user: `u-${pad(rnd.int(DEDUP_USERS), 4)}`, ts };
    recent[seq % RECENT_IDS] = first;
    seq++;
    return click(first.id, first.user, ts);
  };
}

export function eventGenerator(kind: JobKind, rnd: Random, dedup: DedupOptions = DEDUP_DEFAULTS): EventGenerator {
  if (kind === 'dedup') return dedupGenerator(rnd, dedup);
  return kind === 'iot' ? iotGenerator(rnd) : ysbGenerator(rnd);
}

/**
 * A control record that only advances the job's watermark (the sample jobs drop ids starting
 * "__"; `idField` is where the job reads its primary id), so the last windows fire at the end of a test.
 */
export function flushEvent(idField: string, ts: number): InputEvent {
  return { key: '__flush__', value: `{"${idField}":"__flush__","ts":${ts}}` };
}

/**
 * The task-exception marker (jobs' ParseEvents): the parse subtasks of the job reading with
 * consumer group `groupId` throw on it while their execution attempt is `failAtAttempt`, and
 * ignore it at any other (as every other job on the same input does). No `ts`, so it never moves
 * a watermark; the jobs drop it like any "__" record, so no output counts it. `idField`: the
 * field of the job's input records the parse operator reads the marker from (job.failureMarker).
 */
export function failMarker(idField: string, failAtAttempt: number, groupId: string): InputEvent {
  return { key: '__fail__', value: JSON.stringify({ [idField]: '__fail__', failAtAttempt, groupId }) };
}
