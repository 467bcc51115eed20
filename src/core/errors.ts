/**
 * The few named errors of Khaos. Each carries what a person needs to act: `hint` says what to do.
 * Adapters translate library and process failures into these at their boundary.
 */
export type KhaosErrorKind =
  | 'bad-input' // the user gave something unusable: config, trace, CLI argument
  | 'environment' // the machine lacks something: Java, Maven, a free port
  | 'platform' // Flink or Kafka misbehaved or answered something unexpected
  | 'timeout' // something did not happen in time
  | 'bug'; // Khaos itself is wrong

export class KhaosError extends Error {
  constructor(
    readonly kind: KhaosErrorKind,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KhaosError';
  }
}

export const badInput = (message: string, hint?: string) => new KhaosError('bad-input', message, hint);
