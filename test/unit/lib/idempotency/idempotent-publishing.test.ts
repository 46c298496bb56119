import { describe, expect, it } from 'vitest';
import { Deadline } from '../../../../lib/deadline';
import {
  IdempotencyKeyInFlightError,
  IdempotencyKeyMissingError,
  IdempotencyKeyReusedError,
  IdempotencyStoreUnavailableError,
  KafkaUnavailableError,
  type PublisherError,
  PublishOutcomeUnknownError,
} from '../../../../lib/errors';
import { fingerprint } from '../../../../lib/idempotency/idempotent-publishing';
import {
  type Attempt,
  type Claim,
  type ClaimRequest,
  type IdempotencyStore,
  LeaseLostError,
  type StoredAnswer,
} from '../../../../lib/idempotency/store';
import { eventIdFor, makeOrderPublishing } from '../../../../lib/publish';
import { type Delivery, type PublishResult, type RecordFinder, RecordsUndecidedError, type WantedRecord } from '../../../../lib/publisher';
import { exampleOrder } from '../../../support/events';
import { FakePublisher, RecordingLogger, RecordingMetrics } from '../../../support/fake-publisher';
import { publishingFor, TEST_POLICY } from '../../../support/publishing';

/** A store that answers claims as the test says and records every call. */
class ScriptedStore implements IdempotencyStore {
  readonly calls: { method: string; args: unknown[] }[] = [];
  failing: Partial<Record<'claim' | 'complete' | 'release' | 'markUnknown', Error>> = {};
  constructor(private readonly answer: Claim = { outcome: 'claimed', lease: 'lease-1', earlierAttempts: [] }) {}
  async claim(request: ClaimRequest, deadline: Deadline): Promise<Claim> {
    this.calls.push({ method: 'claim', args: [request, deadline] });
    if (this.failing.claim) throw this.failing.claim;
    return this.answer;
  }
  async complete(key: string, lease: string, answer: StoredAnswer) {
    this.calls.push({ method: 'complete', args: [key, lease, answer] });
    if (this.failing.complete) throw this.failing.complete;
  }
  async completePartial(key: string, lease: string, partial: { answer: StoredAnswer; attempts: Attempt[]; settledAt: number }) {
    this.calls.push({ method: 'completePartial', args: [key, lease, partial] });
  }
  async release(key: string, lease: string, earlier: Attempt[], _deadline?: Deadline, partial?: StoredAnswer) {
    this.calls.push({ method: 'release', args: partial ? [key, lease, earlier, partial] : [key, lease, earlier] });
    if (this.failing.release) throw this.failing.release;
  }
  async markUnknown(key: string, lease: string, attempts: Attempt[]) {
    this.calls.push({ method: 'markUnknown', args: [key, lease, attempts] });
    if (this.failing.markUnknown) throw this.failing.markUnknown;
  }
}

const NOW = Date.parse('2026-11-26T10:00:00Z');

function setup(store?: IdempotencyStore, answer?: (count: number) => PublishResult[], policy = TEST_POLICY, finder?: RecordFinder) {
  const publisher = new FakePublisher(answer ? (messages) => answer(messages.length) : undefined);
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const orders = makeOrderPublishing({ publisher, logger, metrics, now: () => NOW });
  return { publisher, metrics, logger, publishing: publishingFor(orders, { store, finder, metrics, logger, policy, now: () => NOW }) };
}

/** A log that holds what the test says, and records what it was asked. */
class ScriptedLog implements RecordFinder {
  readonly asked: { wanted: readonly WantedRecord[]; since: number }[] = [];
  constructor(private readonly holds: (wanted: WantedRecord, index: number) => Delivery | undefined | 'undecided') {}
  async find(wanted: readonly WantedRecord[], since: number) {
    this.asked.push({ wanted, since });
    const found = wanted.map(this.holds);
    if (found.includes('undecided')) throw new RecordsUndecidedError('the high watermark did not move');
    return found as (Delivery | undefined)[];
  }
}

const EARLIER = [{ startedAt: NOW - 30_000, leaseUntil: NOW - 20_000 }];
const afterUnknown = () => new ScriptedStore({ outcome: 'claimed', lease: 'lease-2', earlierAttempts: EARLIER });
const inLog = (offset: number): Delivery => ({ topic: 'order-events', partition: 1, offset, timestamp: '2026-11-26T09:59:40.000Z' });

const options = (idempotencyKey?: string) => ({ idempotencyKey, deadline: new Deadline(NOW + 5_000, () => NOW) });
const failWith = (error: PublisherError) => (count: number) =>
  Array.from({ length: count }, (): PublishResult => ({ status: 'failed', error }));

describe('the publishing use case with Idempotency-Key', () => {
  it('publishes without a key, and without a store, as it always did', async () => {
    const store = new ScriptedStore();
    const withoutKey = setup(store);
    expect(await withoutKey.publishing.publishOrder(exampleOrder(), options())).toMatchObject({ statusCode: 201, replayed: false });
    const withoutStore = setup(undefined);
    expect(await withoutStore.publishing.publishOrder(exampleOrder(), options('k'))).toMatchObject({ statusCode: 201, replayed: false });
    expect(store.calls).toEqual([]);
  });

  it('refuses a request without a key when one is required, before publishing', async () => {
    const { publishing, publisher } = setup(new ScriptedStore(), undefined, { ...TEST_POLICY, keyRequired: true });
    await expect(publishing.publishOrder(exampleOrder(), options())).rejects.toBeInstanceOf(IdempotencyKeyMissingError);
    expect(publisher.sent).toEqual([]);
  });

  it('claims the key with the fingerprint, the event ids and the attempt, then stores the answer', async () => {
    const store = new ScriptedStore();
    const { publishing } = setup(store);
    const answer = await publishing.publishOrders([exampleOrder(), { ...exampleOrder(), user_id: 'u2' }], options('k'));
    const [claim, complete] = store.calls;
    expect(claim?.args[0]).toMatchObject({
      key: 'k',
      operation: 'batch',
      fingerprint: fingerprint([exampleOrder(), { ...exampleOrder(), user_id: 'u2' }]),
      orders: { keys: ['user789', 'u2'], eventIds: [expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)] },
      attempt: { startedAt: NOW, leaseUntil: NOW + 5_000 },
      expiresAt: NOW + TEST_POLICY.ttlSeconds * 1000,
    });
    expect(complete).toEqual({ method: 'complete', args: ['k', 'lease-1', { statusCode: 201, body: answer.body }] });
  });

  it('replays a stored answer without publishing, and counts it', async () => {
    const stored = { statusCode: 207, body: '{"stored":true}' };
    const { publishing, publisher, metrics } = setup(new ScriptedStore({ outcome: 'replay', answer: stored }));
    expect(await publishing.publishOrders([exampleOrder()], options('k'))).toEqual({ ...stored, replayed: true });
    expect(publisher.sent).toEqual([]);
    expect(metrics.counted).toContainEqual({ name: 'IdempotentReplays', value: 1 });
  });

  it.each([
    [{ outcome: 'reused', operation: 'batch' } as Claim, IdempotencyKeyReusedError, 'reused'],
    [{ outcome: 'in-flight', retryAfterMs: 2_500 } as Claim, IdempotencyKeyInFlightError, 'in-flight'],
  ])('refuses %o without publishing', async (claim, kind, reason) => {
    const { publishing, publisher, metrics } = setup(new ScriptedStore(claim));
    const refused = await publishing.publishOrder(exampleOrder(), options('k')).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(kind);
    if (refused instanceof IdempotencyKeyInFlightError) expect(refused.retryAfterSeconds).toBe(3);
    if (refused instanceof IdempotencyKeyReusedError) expect(refused.message).toContain('a batch');
    expect(publisher.sent).toEqual([]);
    expect(metrics.counted).toContainEqual({ name: 'IdempotencyConflicts', value: 1, dimension: reason });
  });

  it('fails closed when the store cannot claim: 503, nothing sent', async () => {
    const store = new ScriptedStore();
    store.failing.claim = new Error('ECONNREFUSED');
    const { publishing, publisher, metrics } = setup(store);
    await expect(publishing.publishOrder(exampleOrder(), options('k'))).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    expect(publisher.sent).toEqual([]);
    expect(metrics.counted).toContainEqual({ name: 'IdempotencyStoreErrors', value: 1, dimension: 'claim' });
  });

  it('releases the key when nothing was written (503), handing back the earlier attempts', async () => {
    const earlier = [{ startedAt: NOW - 60_000, leaseUntil: NOW - 50_000 }];
    const store = new ScriptedStore({ outcome: 'claimed', lease: 'lease-2', earlierAttempts: earlier });
    const { publishing } = setup(store, failWith(new KafkaUnavailableError('down')));
    await expect(publishing.publishOrder(exampleOrder(), options('k'))).rejects.toBeInstanceOf(KafkaUnavailableError);
    expect(store.calls.at(-1)).toEqual({ method: 'release', args: ['k', 'lease-2', earlier] });
  });

  it('keeps the key, outcome unknown, after a 504, and tells the client when a retry can be decided', async () => {
    const store = new ScriptedStore();
    const { publishing } = setup(store, failWith(new PublishOutcomeUnknownError('in flight')));
    const error = (await publishing
      .publishOrder(exampleOrder(), options('k'))
      .catch((caught: unknown) => caught)) as PublishOutcomeUnknownError;
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect(store.calls.at(-1)).toEqual({ method: 'markUnknown', args: ['k', 'lease-1', [{ startedAt: NOW, leaseUntil: NOW + 5_000 }]] });
    // The deadline (5 s away) and the settle time after it.
    expect(error.retryAfterSeconds).toBe((5_000 + TEST_POLICY.settleMs) / 1000);
  });

  it("answers with Kafka's outcome even when recording it fails, and says so in the log and the metrics", async () => {
    const store = new ScriptedStore();
    store.failing.complete = new Error('throttled');
    const { publishing, logger, metrics } = setup(store);
    expect(await publishing.publishOrder(exampleOrder(), options('k'))).toMatchObject({ statusCode: 201, replayed: false });
    expect(metrics.counted).toContainEqual({ name: 'IdempotencyStoreErrors', value: 1, dimension: 'store the answer' });
    expect(logger.lines.map((line) => line.level)).toContain('ERROR');
  });

  it('only warns when a later request took the key over (this one outlived its lease)', async () => {
    const store = new ScriptedStore();
    store.failing.complete = new LeaseLostError('k');
    const { publishing, logger, metrics } = setup(store);
    await publishing.publishOrder(exampleOrder(), options('k'));
    expect(metrics.counted.filter((counted) => counted.name === 'IdempotencyStoreErrors')).toEqual([]);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'WARN' }));
  });

  it('takes the fingerprint over the validated orders: key order does not count, values do', () => {
    const { order_id, user_id, product, quantity, amount } = exampleOrder();
    expect(fingerprint([{ amount, quantity, product, user_id, order_id }])).toBe(fingerprint([exampleOrder()]));
    expect(fingerprint([{ ...exampleOrder(), quantity: 2 }])).not.toBe(fingerprint([exampleOrder()]));
  });

  describe('a retry after an unknown outcome', () => {
    it('answers with the record found in the log, replayed, and writes nothing', async () => {
      const store = afterUnknown();
      const log = new ScriptedLog(() => inLog(41));
      const { publishing, publisher, metrics } = setup(store, undefined, TEST_POLICY, log);
      const answer = await publishing.publishOrder(exampleOrder(), options('k'));
      expect(answer).toMatchObject({ statusCode: 201, replayed: true });
      expect(JSON.parse(answer.body)).toEqual({ ...inLog(41), key: 'user789', event_id: expect.any(String) });
      expect(publisher.sent).toEqual([]);
      // From the first earlier attempt's start.
      expect(log.asked[0]?.since).toBe(EARLIER[0]?.startedAt);
      expect(store.calls.at(-1)?.method).toBe('complete');
      expect(metrics.counted).toContainEqual({ name: 'Reconciliations', value: 1, dimension: 'found' });
    });

    it('publishes, with the same event id, what the log does not hold', async () => {
      const log = new ScriptedLog(() => undefined);
      const { publishing, publisher } = setup(afterUnknown(), undefined, TEST_POLICY, log);
      const answer = await publishing.publishOrder(exampleOrder(), options('k'));
      expect(answer).toMatchObject({ statusCode: 201, replayed: false });
      expect(publisher.sent[0]?.[0]?.headers['event-id']).toBe(log.asked[0]?.wanted[0]?.eventId);
    });

    it('publishes only the orders of a batch that the log does not hold, and answers for all of them in order', async () => {
      const log = new ScriptedLog((_, index) => (index === 1 ? inLog(7) : undefined));
      const { publishing, publisher } = setup(afterUnknown(), undefined, TEST_POLICY, log);
      const batch = [0, 1, 2].map((index) => ({ ...exampleOrder(), order_id: `o-${index}`, user_id: `u-${index}` }));
      const answer = await publishing.publishOrders(batch, options('k'));
      expect(publisher.sent[0]?.map((message) => message.key)).toEqual(['u-0', 'u-2']);
      expect(publisher.sent[0]?.map((message) => message.headers['event-id'])).toEqual([
        log.asked[0]?.wanted[0]?.eventId,
        log.asked[0]?.wanted[2]?.eventId,
      ]);
      const body = JSON.parse(answer.body);
      expect(body.receipts.map((receipt: { key: string; offset: number }) => [receipt.key, receipt.offset])).toEqual([
        ['u-0', 0],
        ['u-1', 7],
        ['u-2', 1],
      ]);
      expect(answer).toMatchObject({ statusCode: 201, replayed: false });
    });

    it('answers 504 again when the log cannot tell in time, and gives the key back as it was', async () => {
      const store = afterUnknown();
      const { publishing, publisher } = setup(store, undefined, TEST_POLICY, new ScriptedLog(() => 'undecided'));
      const error = (await publishing
        .publishOrder(exampleOrder(), options('k'))
        .catch((caught: unknown) => caught)) as PublishOutcomeUnknownError;
      expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
      expect(error.retryAfterSeconds).toBe(1);
      expect(publisher.sent).toEqual([]);
      expect(store.calls.at(-1)).toEqual({ method: 'release', args: ['k', 'lease-2', EARLIER] });
    });

    it('does not read the log for a key claimed for the first time', async () => {
      const log = new ScriptedLog(() => inLog(1));
      const { publishing } = setup(new ScriptedStore(), undefined, TEST_POLICY, log);
      await publishing.publishOrder(exampleOrder(), options('k'));
      expect(log.asked).toEqual([]);
    });
  });

  describe('a batch answered 207, then retried with the same key and body', () => {
    const batch = [0, 1, 2, 3].map((index) => ({ ...exampleOrder(), order_id: `o-${index}`, user_id: `u-${index}` }));
    const eventIds = [0, 1, 2, 3].map((index) => eventIdFor('k', index));
    const written = (index: number, offset: number) => ({
      status: 'written' as const,
      partition: 2,
      offset,
      timestamp: '2026-11-26T09:59:40.000Z',
      key: `u-${index}`,
      event_id: eventIds[index] as string,
    });
    const failed = (index: number, outcome: 'not_written' | 'unknown') => ({
      status: 'failed' as const,
      key: `u-${index}`,
      event_id: eventIds[index] as string,
      retriable: true,
      outcome,
      reason: outcome === 'unknown' ? 'may or may not' : 'NOT_ENOUGH_REPLICAS',
    });
    /** Order 0 written at offset 40, 1 refused, 2 unknown, 3 written at offset 41. */
    const partial207 = {
      statusCode: 207,
      body: JSON.stringify({
        topic: 'order-events',
        written: 2,
        failed: 2,
        receipts: [written(0, 40), failed(1, 'not_written'), failed(2, 'unknown'), written(3, 41)],
      }),
    };
    const afterPartial = () => new ScriptedStore({ outcome: 'claimed', lease: 'lease-2', earlierAttempts: EARLIER, partial: partial207 });

    it('stores a first 207 for a retry to finish: settled at once when every failure was a refusal', async () => {
      const store = new ScriptedStore();
      const { publishing } = setup(store, (count) =>
        Array.from(
          { length: count },
          (_, index): PublishResult =>
            index === 1
              ? { status: 'failed', error: new KafkaUnavailableError('NOT_ENOUGH_REPLICAS') }
              : { status: 'written', delivery: inLog(index) },
        ),
      );
      const answer = await publishing.publishOrders(batch, options('k'));
      expect(answer.statusCode).toBe(207);
      expect(JSON.parse(answer.body).receipts[1]).toMatchObject({ status: 'failed', retriable: true, outcome: 'not_written' });
      expect(store.calls.at(-1)).toEqual({
        method: 'completePartial',
        args: [
          'k',
          'lease-1',
          { answer: { statusCode: 207, body: answer.body }, attempts: [{ startedAt: NOW, leaseUntil: NOW + 5_000 }], settledAt: NOW },
        ],
      });
    });

    it('stores a 207 with an unknown outcome to be settled only after its lease and the settle time', async () => {
      const store = new ScriptedStore();
      const { publishing } = setup(store, (count) =>
        Array.from(
          { length: count },
          (_, index): PublishResult =>
            index === 2
              ? { status: 'failed', error: new PublishOutcomeUnknownError('may or may not') }
              : { status: 'written', delivery: inLog(index) },
        ),
      );
      const answer = await publishing.publishOrders(batch, options('k'));
      expect(JSON.parse(answer.body).receipts[2]).toMatchObject({ status: 'failed', outcome: 'unknown' });
      expect(store.calls.at(-1)?.method).toBe('completePartial');
      expect(store.calls.at(-1)?.args[2]).toMatchObject({ settledAt: NOW + 5_000 + TEST_POLICY.settleMs });
    });

    it('looks in the log only for the unknown order, publishes what is not there, keeps the earlier receipts, and answers 201', async () => {
      // Prepare
      const store = afterPartial();
      const log = new ScriptedLog(() => undefined);
      const { publishing, publisher } = setup(store, undefined, TEST_POLICY, log);
      // Act
      const answer = await publishing.publishOrders(batch, options('k'));
      // Assess
      expect(log.asked.map(({ wanted }) => wanted.map(({ key }) => key))).toEqual([['u-2']]);
      expect(publisher.sent.map((messages) => messages.map(({ key }) => key))).toEqual([['u-1', 'u-2']]);
      const body = JSON.parse(answer.body);
      expect(body.receipts[0]).toEqual(written(0, 40));
      expect(body.receipts[3]).toEqual(written(3, 41));
      expect(body.receipts.map((receipt: { status: string }) => receipt.status)).toEqual(['written', 'written', 'written', 'written']);
      expect(answer).toMatchObject({ statusCode: 201, replayed: false });
      expect(store.calls.at(-1)?.method).toBe('complete');
    });

    it('answers replayed when the log held the unknown order and nothing was refused: it wrote nothing', async () => {
      const onlyUnknown = {
        statusCode: 207,
        body: JSON.stringify({
          topic: 'order-events',
          written: 3,
          failed: 1,
          receipts: [written(0, 40), written(1, 42), failed(2, 'unknown'), written(3, 41)],
        }),
      };
      const store = new ScriptedStore({ outcome: 'claimed', lease: 'lease-2', earlierAttempts: EARLIER, partial: onlyUnknown });
      const { publishing, publisher } = setup(store, undefined, TEST_POLICY, new ScriptedLog(() => inLog(43)));
      const answer = await publishing.publishOrders(batch, options('k'));
      expect(publisher.sent).toEqual([]);
      expect(answer).toMatchObject({ statusCode: 201, replayed: true });
      expect(JSON.parse(answer.body).receipts[2]).toMatchObject({ status: 'written', offset: 43 });
    });

    it('answers a new 207 when the refused order is refused again, and stores it for the next retry', async () => {
      const store = afterPartial();
      const { publishing } = setup(
        store,
        failWith(new KafkaUnavailableError('NOT_ENOUGH_REPLICAS')),
        TEST_POLICY,
        new ScriptedLog(() => inLog(43)),
      );
      const answer = await publishing.publishOrders(batch, options('k'));
      expect(answer).toMatchObject({ statusCode: 207, replayed: false });
      const body = JSON.parse(answer.body);
      expect(body.receipts.map((receipt: { status: string }) => receipt.status)).toEqual(['written', 'failed', 'written', 'written']);
      expect(body.receipts[1]).toMatchObject({ retriable: true, outcome: 'not_written' });
      expect(store.calls.at(-1)).toMatchObject({
        method: 'completePartial',
        args: ['k', 'lease-2', { attempts: [...EARLIER, expect.any(Object)] }],
      });
    });

    it('gives the 207 back as it was when the log cannot tell in time: 504, nothing sent', async () => {
      const store = afterPartial();
      const { publishing, publisher } = setup(store, undefined, TEST_POLICY, new ScriptedLog(() => 'undecided'));
      await expect(publishing.publishOrders(batch, options('k'))).rejects.toBeInstanceOf(PublishOutcomeUnknownError);
      expect(publisher.sent).toEqual([]);
      expect(store.calls.at(-1)).toEqual({ method: 'release', args: ['k', 'lease-2', EARLIER, partial207] });
    });

    it('refuses a stored 207 that does not answer this batch', async () => {
      const store = new ScriptedStore({
        outcome: 'claimed',
        lease: 'lease-2',
        earlierAttempts: EARLIER,
        partial: { statusCode: 207, body: '{}' },
      });
      const { publishing, publisher } = setup(store, undefined, TEST_POLICY, new ScriptedLog(() => undefined));
      await expect(publishing.publishOrders(batch, options('k'))).rejects.toThrow(/stored 207/);
      expect(publisher.sent).toEqual([]);
    });

    it('takes the order of the orders as part of the request: the same orders reordered are another request', () => {
      expect(fingerprint([...batch].reverse())).not.toBe(fingerprint(batch));
    });
  });
});
