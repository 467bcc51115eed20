/**
 * Bounded retry of Kafka operations that fail for a passing reason: a partition whose leader is
 * still being elected or moved, a request that timed out, a topic whose metadata has not yet
 * reached the broker that answers. KafkaJS retries some of these itself but gives up on others at
 * once (its admin `fetchTopicOffsets` passes NOT_LEADER_OR_FOLLOWER straight through): this
 * wraps whole operations, so every retriable error is retried, with a line logged per retry.
 */

export interface RetryPolicy {
  /** Attempts in all, the first one included (Infinity: bounded by maxElapsedMs alone). */
  maxAttempts: number;
  /** No retry starts once this long has passed since the first attempt began (ms). */
  maxElapsedMs: number;
  /** Wait before the first retry (ms); each later wait doubles, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, maxElapsedMs: 30_000, initialDelayMs: 200, maxDelayMs: 5_000 };

export interface RetryOptions {
  /** Whether an error is worth another attempt. */
  isRetriable: (e: unknown) => boolean;
  policy?: Partial<RetryPolicy>;
  /** Receives one line per retry and one when giving up. */
  log?: (line: string) => void;
  /** Retries within this long of the first attempt are not logged: an expected, brief wait (a new topic's election) is no news. Default 0, ms. */
  quietForMs?: number;
  /** Waits between attempts (injected by tests). */
  sleep?: (ms: number) => Promise<void>;
  /** The time in ms (injected by tests). */
  now?: () => number;
}

/** An error an operation throws to say "not ready yet, try again" (its `retriable` is what KafkaJS errors carry). */
export class NotReadyYet extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyYet';
  }
}

/** The last error of an operation that was still failing when the retry bound was reached; `cause` is that error. */
export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    cause: unknown,
  ) {
    super(`${describeError(cause)} (gave up after ${attempts} attempts in ${(elapsedMs / 1000).toFixed(1)} s)`, { cause });
    this.name = 'RetriesExhausted';
  }
}

/**
 * Runs `operation` until it succeeds, it throws an error that is not retriable (thrown as is), or
 * the policy's bound is reached (the last error is thrown inside a RetriesExhausted). `operation`
 * gets the attempt number, from 1.
 */
export async function withRetry<T>(what: string, operation: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (e) {
      if (!opts.isRetriable(e)) throw e;
      const delayMs = Math.min(policy.initialDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
      const elapsedMs = now() - started;
      if (attempt >= policy.maxAttempts || elapsedMs + delayMs > policy.maxElapsedMs) {
        log(`${what}: ${describeError(e)}; giving up after ${attempt} attempts in ${elapsedMs} ms`);
        throw new RetriesExhausted(attempt, elapsedMs, e);
      }
      // Bounded by time alone (a deadline): say how much of it has passed, so a long wait shows progress.
      const of = Number.isFinite(policy.maxAttempts) ? `${attempt}/${policy.maxAttempts - 1}` : `${attempt} (${(elapsedMs / 1000).toFixed(1)} s of at most ${(policy.maxElapsedMs / 1000).toFixed(0)} s)`;
      if (elapsedMs >= (opts.quietForMs ?? 0)) log(`${what}: ${describeError(e)}; retry ${of} in ${delayMs} ms`);
      await sleep(delayMs);
    }
  }
}

interface KafkaLikeError {
  name?: string;
  retryCount?: number;
  type?: string;
  message?: string;
  retriable?: boolean;
  cause?: unknown;
  errors?: unknown[];
}

/** Protocol errors (KafkaJS `type`, Kafka's name) that pass once leadership or metadata settles. */
const TRANSIENT_TYPES = new Set(['NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'REQUEST_TIMED_OUT', 'NOT_CONTROLLER', 'PREFERRED_LEADER_NOT_AVAILABLE']);
/** The same errors by message, for when only the message survived a wrapping. */
const TRANSIENT_MESSAGES = ['not the leader for that topic-partition', 'There is no leader for this topic-partition', 'The request timed out', 'not the correct controller for this cluster'];
const UNKNOWN_TOPIC_TYPE = 'UNKNOWN_TOPIC_OR_PARTITION';
const UNKNOWN_TOPIC_MESSAGE = 'This server does not host this topic-partition';

/**
 * Whether a KafkaJS error is worth another attempt: errors KafkaJS marks `retriable: true`, the
 * transient protocol errors above whatever their marking, KafkaJS's "number of retries exceeded"
 * when its cause is retriable, an aggregate when every part is. UNKNOWN_TOPIC_OR_PARTITION (which
 * KafkaJS marks retriable) only when `topicJustCreated`: right after creation it means the
 * metadata has not arrived yet; otherwise the topic is absent and retrying only delays the error.
 */
export function isRetriableKafkaError(e: unknown, ctx: { topicJustCreated: boolean } = { topicJustCreated: false }): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as KafkaLikeError;
  if (err.type === UNKNOWN_TOPIC_TYPE || err.message?.includes(UNKNOWN_TOPIC_MESSAGE)) return ctx.topicJustCreated;
  if (err.name === 'KafkaJSNumberOfRetriesExceeded') return err.cause !== e && isRetriableKafkaError(err.cause, ctx);
  if (err.name === 'KafkaJSAggregateError' && Array.isArray(err.errors)) return err.errors.length > 0 && err.errors.every((x) => isRetriableKafkaError(x, ctx));
  if ((err.type !== undefined && TRANSIENT_TYPES.has(err.type)) || TRANSIENT_MESSAGES.some((m) => err.message?.includes(m))) return true;
  return err.retriable === true;
}

/** One line naming an error: its name, Kafka type when it has one, message, and the cause's. */
export function describeError(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const err = e as KafkaLikeError;
  const cause = err.cause !== e && typeof err.cause === 'object' && err.cause !== null ? (err.cause as KafkaLikeError) : undefined;
  // KafkaJS wraps even a first failure so when its retries are off (retryCount 0): then there is nothing to add.
  if (err.name === 'KafkaJSNumberOfRetriesExceeded' && cause) return `${describeError(cause)}${err.retryCount === 0 ? '' : " (after KafkaJS's own retries)"}`;
  const head = `${err.name ?? 'Error'}${err.type ? ` ${err.type}` : ''}: ${err.message ?? ''}`;
  return cause?.message && cause.message !== err.message ? `${head} (caused by ${describeError(cause)})` : head;
}
