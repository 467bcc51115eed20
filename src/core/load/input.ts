import { badInput } from '../errors.js';
import { seededRandom } from '../random.js';
import { eventGenerator, type DedupOptions, type EventGenerator, type InputEvent, type JobKind } from './events.js';
import { templateGenerator } from './template.js';

/**
 * The input of a job: a sample job's own generator; records drawn from a template
 * (core/load/template.ts); or the records of an existing topic, copied in order and re-timed to
 * the trace's rates (looping when the trace needs more).
 */
export type JobInput =
  | { kind: 'sample'; job: JobKind; dedup: DedupOptions }
  | { kind: 'template'; template: unknown; seed?: number; key?: string }
  | { kind: 'replay-topic'; topic: string };

/**
 * Copies recorded records in order, looping once they run out (a trace that needs more records
 * than the topic holds replays it again); the replay re-times them to the trace's rates.
 */
export function recordedGenerator(records: readonly InputEvent[]): EventGenerator {
  if (records.length === 0) throw badInput('the replay topic holds no records', 'record the job’s input into the topic first, or use job.input.template');
  let next = 0;
  return () => records[next++ % records.length]!;
}

/**
 * The generator of a job's input (its descriptor's job.input): a sample job's own generator, a
 * template's (seeded with its own seed, else `seed`), or a replay topic's `records` (read by the
 * caller from the bus: the core does no I/O).
 */
export function inputGenerator(input: JobInput, seed: number, records?: readonly InputEvent[]): EventGenerator {
  switch (input.kind) {
    case 'sample':
      return eventGenerator(input.job, seededRandom(seed), input.dedup);
    case 'template':
      return templateGenerator(input.template, seededRandom(input.seed ?? seed), input.key);
    case 'replay-topic':
      if (!records) throw new Error(`replay topic ${input.topic}: its records were not read (a bug: read them with readReplayTopic first)`);
      return recordedGenerator(records);
  }
}
