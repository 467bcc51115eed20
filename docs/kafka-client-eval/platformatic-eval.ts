import { Admin, FetchIsolationLevels, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { describePlatformaticError, PlatformaticMessageBus } from './adapters/kafka/platformatic-message-bus.js';

/** Right after createTopics: listOffsets and a produce with the client's retries off, then with its defaults. */
async function rawCreateThenUse(bootstrap: string, topic: string): Promise<string[]> {
  const out: string[] = [];
  for (const [label, retries] of [['no-retries', 0], ['default-retries', undefined]] as const) {
    const t = `${topic}-${label}`;
    const base = { clientId: 'raw', bootstrapBrokers: bootstrap.split(','), ...(retries === undefined ? {} : { retries }) };
    const admin = new Admin(base);
    const producer = new Producer({ ...base, serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
    try {
      await admin.createTopics({ topics: [t], partitions: 4, replicas: 1 });
      const step = async (what: string, f: () => Promise<unknown>) => {
        const started = Date.now();
        try {
          await f();
          out.push(`${label} ${what}: ok in ${Date.now() - started} ms`);
        } catch (e) {
          out.push(`${label} ${what}: ${describePlatformaticError(e)} after ${Date.now() - started} ms`);
        }
      };
      await step('produce', () => producer.send({ messages: Array.from({ length: 40 }, (_, j) => ({ topic: t, key: `k${j}`, value: `v${j}` })) }));
      await step('listOffsets', () => admin.listOffsets({ topics: [{ name: t, partitions: [0, 1, 2, 3].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }], isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED }));
    } finally {
      await producer.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
    }
  }
  return out;
}

export const candidate = {
  make: (bootstrap: string, log: (l: string) => void) => new PlatformaticMessageBus(bootstrap, { log }),
  rawCreateThenUse,
};
