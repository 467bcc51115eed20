import { KafkajsMessageBus } from '../../src/adapters/kafka/kafkajs-message-bus.js';
import { messageBusContract } from '../contract/message-bus.contract.js';
import { kafkaBus } from '../../src/compose.js';
import { fileStack } from './helpers.js';

const stackOf = fileStack('bus');

let n = 0;
messageBusContract('KafkajsMessageBus against a real Kafka 4.3 broker', async () => ({ bus: new KafkajsMessageBus(stackOf().bootstrap), topicPrefix: `t${n++}` }));
messageBusContract('KafkajsMessageBus reading committed output with Kafka\'s Java consumer', async () => ({ bus: kafkaBus(stackOf()), topicPrefix: `j${n++}` }));
