import { KafkaJS } from '@confluentinc/kafka-javascript';
import { describeError } from './adapters/kafka/retry.js';
import { ConfluentMessageBus } from './adapters/kafka/confluent-message-bus.js';

/** Right after createTopics: a produce and fetchTopicOffsets, with the client's own retries as configured by default. */
async function rawCreateThenUse(bootstrap: string, topic: string): Promise<string[]> {
  const out: string[] = [];
  const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'raw', brokers: bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
  const admin = kafka.admin();
  const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false } });
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }] });
    const step = async (what: string, f: () => Promise<unknown>) => {
      const started = Date.now();
      try {
        await f();
        out.push(`${what}: ok in ${Date.now() - started} ms`);
      } catch (e) {
        out.push(`${what}: ${describeError(e)} code=${(e as { code?: number }).code} after ${Date.now() - started} ms`);
      }
    };
    await step('fetchTopicOffsets', () => admin.fetchTopicOffsets(topic));
    await step('produce', () => producer.send({ topic, messages: Array.from({ length: 40 }, (_, j) => ({ key: `k${j}`, value: `v${j}` })) }));
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return out;
}

export const candidate = {
  make: (bootstrap: string, log: (l: string) => void) => new ConfluentMessageBus(bootstrap, { log }),
  rawCreateThenUse,
};
