import { badInput } from '../core/errors.js';
import { requireInput, type JobDescriptor } from '../core/jobs.js';
import type { EventGenerator } from '../core/load/events.js';
import { inputGenerator } from '../core/load/input.js';
import type { MessageBus } from '../ports/message-bus.js';

/** How long reading a replay topic may take: it is read whole, before any replica starts. */
const READ_TIMEOUT_MS = 120_000;

/**
 * The generator of the job's input (job.input), ready before any replica starts: a replay topic
 * is read whole from the bus here, and one that does not exist or is empty is refused with the
 * fix. `what` names the command, for an own job without job.input.
 */
export async function jobInputGenerator(bus: MessageBus, job: Pick<JobDescriptor, 'input'>, seed: number, what: string, log: (line: string) => void = () => undefined): Promise<EventGenerator> {
  const input = requireInput(job, what);
  if (input.kind !== 'replay-topic') return inputGenerator(input, seed);
  const fix = `record the job's input into topic ${input.topic} on the stack's Kafka first (e.g. with \`khaos replay\` or your own producer), or use job.input.template`;
  if (!(await bus.topicExists(input.topic))) throw badInput(`job.input.replayTopic: topic ${input.topic} does not exist on the stack's Kafka`, fix);
  if ((await bus.endOffsetTotal(input.topic)) === 0) throw badInput(`job.input.replayTopic: topic ${input.topic} is empty`, fix);
  const records = await bus.readAllCommitted(input.topic, { idleMs: 3000, timeoutMs: READ_TIMEOUT_MS });
  if (records.length === 0) throw badInput(`job.input.replayTopic: topic ${input.topic} holds no committed record`, fix);
  log(`job input: ${records.length} records of topic ${input.topic}, replayed in order at the trace's rates (looping when it needs more)`);
  return inputGenerator(input, seed, records.map((r) => ({ key: r.key ?? '', value: r.value })));
}
