import type { Random } from '../random.js';

/** The sample jobs shipped in jobs/; each has its own input record shape (see the Java job classes). */
export type JobKind = 'iot' | 'ysb';

/** The main class of each sample job in the jobs jar. */
export const JOB_CLASSES: Record<JobKind, string> = { iot: 'dev.khaos.jobs.IotVehiclesJob', ysb: 'dev.khaos.jobs.YsbAdvertisingJob' };

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

export function eventGenerator(kind: JobKind, rnd: Random): EventGenerator {
  return kind === 'iot' ? iotGenerator(rnd) : ysbGenerator(rnd);
}

/**
 * A control record that only advances the job's watermark (both jobs drop ids starting "__"),
 * so the last windows fire at the end of a test.
 */
export function flushEvent(kind: JobKind, ts: number): InputEvent {
  const field = kind === 'iot' ? 'id' : 'ad';
  return { key: '__flush__', value: `{"${field}":"__flush__","ts":${ts}}` };
}

/**
 * The task-exception marker (jobs' ParseEvents): the parse subtasks of the job reading with
 * consumer group `groupId` throw on it while their execution attempt is `failAtAttempt`, and
 * ignore it at any other (as every other job on the same input does). No `ts`, so it never moves
 * a watermark; the jobs drop it like any "__" record, so no output counts it.
 */
export function failMarker(kind: JobKind, failAtAttempt: number, groupId: string): InputEvent {
  const field = kind === 'iot' ? 'id' : 'ad';
  return { key: '__fail__', value: JSON.stringify({ [field]: '__fail__', failAtAttempt, groupId }) };
}
