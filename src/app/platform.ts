import type { Clock } from '../ports/clock.js';
import type { FailureInjector } from '../ports/failure-injector.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import type { MessageBus } from '../ports/message-bus.js';
import type { Orchestrator } from '../ports/orchestrator.js';

/**
 * The platform a use case runs its replicas on, as compose.ts builds it (local JVM processes or
 * Kubernetes): where replicas are deployed, the broker their input and output go through, each
 * replica's Flink REST API and failure injector, the clock, and where progress lines go. The
 * caller closes the bus.
 */
export interface Platform {
  orchestrator: Orchestrator;
  bus: MessageBus;
  flinkAt(restUrl: string): FlinkEngine;
  injectorFor(replica: string): FailureInjector;
  clock: Clock;
  log(line: string): void;
}
