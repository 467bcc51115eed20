import { failureInjectorContract } from './failure-injector.contract.js';
import { fakePlatformSubject } from './fake-platform-subject.js';

failureInjectorContract('FakeFailureInjector', fakePlatformSubject);
