import { describe, expect, it } from 'vitest';
import { describeError, isRetriableKafkaError, NotReadyYet, RetriesExhausted, withRetry } from '../../src/adapters/kafka/retry.js';

/** Errors shaped like KafkaJS's (name, type, retriable, cause), without a broker. */
const protocolError = (type: string, message: string, retriable = true) => Object.assign(new Error(message), { name: 'KafkaJSProtocolError', type, retriable });
const notLeader = () => protocolError('NOT_LEADER_FOR_PARTITION', 'This server is not the leader for that topic-partition');
const unknownTopic = () => protocolError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition');
const retriesExceeded = (cause: Error) => Object.assign(new Error(cause.message), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause });

/** A clock that only moves when the retry sleeps, and a record of the sleeps and log lines. */
function harness() {
  let t = 0;
  const sleeps: number[] = [];
  const lines: string[] = [];
  return {
    sleeps,
    lines,
    opts: {
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
      log: (l: string) => lines.push(l),
    },
  };
}

/** An operation that always fails with a fresh error from `make`, counting its calls. */
function alwaysFailing(make: () => Error) {
  let calls = 0;
  return {
    op: () => {
      calls++;
      return Promise.reject(make());
    },
    calls: () => calls,
  };
}

describe('withRetry', () => {
  it('retries a retriable failure with doubling waits and a logged line each, then returns', async () => {
    const h = harness();
    let calls = 0;
    const result = await withRetry(
      'Kafka produce to t',
      async (attempt) => {
        calls++;
        if (attempt < 4) throw notLeader();
        return 'ok';
      },
      { ...h.opts, isRetriable: (e) => isRetriableKafkaError(e) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(h.sleeps).toEqual([200, 400, 800]);
    expect(h.lines).toHaveLength(3);
    expect(h.lines[0]).toMatch(/^Kafka produce to t: KafkaJSProtocolError NOT_LEADER_FOR_PARTITION: This server is not the leader.*; retry 1\/7 in 200 ms$/);
  });

  it('throws a non-retriable error at once, as it is', async () => {
    const h = harness();
    const fatal = protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics', false);
    await expect(withRetry('op', () => Promise.reject(fatal), { ...h.opts, isRetriable: (e) => isRetriableKafkaError(e) })).rejects.toBe(fatal);
    expect(h.sleeps).toEqual([]);
    expect(h.lines).toEqual([]);
  });

  it('gives up after the attempt bound, with the last error as cause', async () => {
    const h = harness();
    const always = alwaysFailing(notLeader);
    const err = await withRetry('op', always.op, { ...h.opts, isRetriable: () => true }).catch((e: unknown) => e);
    expect(always.calls()).toBe(8);
    expect(err).toBeInstanceOf(RetriesExhausted);
    expect((err as RetriesExhausted).attempts).toBe(8);
    expect((err as Error).message).toMatch(/not the leader.*gave up after 8 attempts/);
    expect((err as Error).cause).toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION' });
    expect(h.sleeps).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(h.lines.at(-1)).toMatch(/giving up after 8 attempts/);
  });

  it('gives up when the next wait would pass the time bound', async () => {
    const h = harness();
    const always = alwaysFailing(() => new NotReadyYet('no leader yet'));
    const err = await withRetry(
      'op',
      always.op,
      { ...h.opts, isRetriable: (e) => isRetriableKafkaError(e), policy: { maxAttempts: 100, maxElapsedMs: 10_000 } },
    ).catch((e: unknown) => e);
    // waits 200 + 400 + 800 + 1600 + 3200 = 6200; the next (5000) would end at 11200 > 10000
    expect(h.sleeps).toEqual([200, 400, 800, 1600, 3200]);
    expect(always.calls()).toBe(6);
    expect(err).toBeInstanceOf(RetriesExhausted);
  });
});

describe('isRetriableKafkaError', () => {
  it('retries what KafkaJS marks retriable and the transient protocol errors', () => {
    expect(isRetriableKafkaError(notLeader())).toBe(true);
    expect(isRetriableKafkaError(protocolError('LEADER_NOT_AVAILABLE', 'There is no leader for this topic-partition as we are in the middle of a leadership election'))).toBe(true);
    expect(isRetriableKafkaError(protocolError('REQUEST_TIMED_OUT', 'The request timed out'))).toBe(true);
    expect(isRetriableKafkaError(protocolError('NOT_CONTROLLER', 'This is not the correct controller for this cluster'))).toBe(true);
    expect(isRetriableKafkaError(Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError', retriable: true }))).toBe(true);
    expect(isRetriableKafkaError(new NotReadyYet('later'))).toBe(true);
    // known by name or message even where the marking was lost
    expect(isRetriableKafkaError(protocolError('NOT_LEADER_OR_FOLLOWER', 'x', false))).toBe(true);
    expect(isRetriableKafkaError(new Error('This server is not the leader for that topic-partition'))).toBe(true);
  });

  it('does not retry the rest', () => {
    expect(isRetriableKafkaError(protocolError('INVALID_TOPIC_EXCEPTION', 'The request attempted to perform an operation on an invalid topic', false))).toBe(false);
    expect(isRetriableKafkaError(Object.assign(new Error('Invalid topic'), { name: 'KafkaJSNonRetriableError', retriable: false }))).toBe(false);
    expect(isRetriableKafkaError(new TypeError('x is undefined'))).toBe(false);
    expect(isRetriableKafkaError('a string')).toBe(false);
    expect(isRetriableKafkaError(undefined)).toBe(false);
  });

  it('retries "retries exceeded" and aggregates by what they wrap', () => {
    expect(isRetriableKafkaError(retriesExceeded(notLeader()))).toBe(true);
    expect(isRetriableKafkaError(retriesExceeded(protocolError('INVALID_TOPIC_EXCEPTION', 'bad topic', false)))).toBe(false);
    const aggregate = (errors: Error[]) => Object.assign(new Error('Topic creation errors'), { name: 'KafkaJSAggregateError', errors });
    expect(isRetriableKafkaError(aggregate([notLeader(), protocolError('REQUEST_TIMED_OUT', 'The request timed out')]))).toBe(true);
    expect(isRetriableKafkaError(aggregate([notLeader(), protocolError('TOPIC_AUTHORIZATION_FAILED', 'no', false)]))).toBe(false);
  });

  it('retries an unknown topic only right after its creation', () => {
    expect(isRetriableKafkaError(unknownTopic())).toBe(false);
    expect(isRetriableKafkaError(unknownTopic(), { topicJustCreated: true })).toBe(true);
    expect(isRetriableKafkaError(retriesExceeded(unknownTopic()))).toBe(false);
    expect(isRetriableKafkaError(retriesExceeded(unknownTopic()), { topicJustCreated: true })).toBe(true);
  });
});

describe('describeError', () => {
  it('names the error, its Kafka type and, for KafkaJS giving up, the cause', () => {
    expect(describeError(notLeader())).toBe('KafkaJSProtocolError NOT_LEADER_FOR_PARTITION: This server is not the leader for that topic-partition');
    expect(describeError(retriesExceeded(notLeader()))).toBe("KafkaJSProtocolError NOT_LEADER_FOR_PARTITION: This server is not the leader for that topic-partition (after KafkaJS's own retries)");
    expect(describeError(new Error('outer', { cause: new Error('inner') }))).toBe('Error: outer (caused by Error: inner)');
  });
});

describe('describeError of KafkaJS giving up with its retries off', () => {
  it('says nothing of retries KafkaJS never made', () => {
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError', retriable: true });
    const wrapped = Object.assign(new Error(refused.message), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, retryCount: 0, cause: refused });
    expect(describeError(wrapped)).toBe('KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:1');
  });
});
