import { fakePlatformSubject } from './fake-platform-subject.js';
import { orchestratorContract } from './orchestrator.contract.js';

orchestratorContract('FakeFlinkPlatform', fakePlatformSubject);
