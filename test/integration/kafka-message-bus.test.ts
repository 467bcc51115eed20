import { afterAll, beforeAll } from 'vitest';
import { KafkajsMessageBus } from '../../src/adapters/kafka/kafkajs-message-bus.js';
import type { LocalStack } from '../../src/adapters/local/local-stack.js';
import { messageBusContract } from '../contract/message-bus.contract.js';
import { kafkaBus } from '../../src/compose.js';
import { testStack } from './helpers.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack('bus');
});
afterAll(async () => {
  await stack?.down();
});

let n = 0;
messageBusContract('KafkajsMessageBus against a real Kafka 4.3 broker', async () => ({ bus: new KafkajsMessageBus(stack.bootstrap), topicPrefix: `t${n++}` }));
messageBusContract('KafkajsMessageBus reading committed output with Kafka\'s Java consumer', async () => ({ bus: kafkaBus(stack), topicPrefix: `j${n++}` }));
