import { MemoryMessageBus } from '../fakes/memory-message-bus.js';
import { messageBusContract } from './message-bus.contract.js';

messageBusContract('MemoryMessageBus', async () => ({ bus: new MemoryMessageBus(), topicPrefix: 'mem' }));
