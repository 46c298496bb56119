import { endOffsets, type RefereeRecord, readTopic } from '../../support/referee';
import { CLUSTER_BOOTSTRAP } from './fault-cluster';
import { type Invocation, isSuccess, type Receipt } from './load';

export type TopicRecord = RefereeRecord;

/**
 * The whole topic, read by Kafka's own Java consumer: a client independent of the code under
 * test. Also checks that what it read is all there is: per partition, offsets 0 to the end
 * offset with no gap (no transactions or compaction here, so a gap would mean a missed record).
 */
export async function readWholeTopic(topic: string, bootstrap = CLUSTER_BOOTSTRAP): Promise<TopicRecord[]> {
  const ends = await endOffsets(bootstrap, topic);
  const records = await readTopic(bootstrap, topic, { timeoutMs: 180_000 });
  for (const [partition, end] of ends) {
    const offsets = records
      .filter((record) => record.partition === partition)
      .map((record) => record.offset)
      .sort((a, b) => a - b);
    const contiguous = offsets.length >= end && offsets.slice(0, end).every((offset, index) => offset === index);
    if (!contiguous) throw new Error(`The referee read ${offsets.length} records of ${topic} [${partition}], whose end offset is ${end}`);
  }
  return records;
}

export interface CheckResult {
  /** Orders placed: each with its first request and its retries under one Idempotency-Key. */
  requests: number;
  /** Requests sent in all: the orders' first requests and their retries. */
  attempts: number;
  /** Orders retried at least once. */
  retried: number;
  /** Orders by their last answer. */
  success: number;
  clientError: number;
  unavailable: number;
  outcomeUnknown: number;
  /** Orders whose last request got no answer (status 0): outcome unknown, as a 504. */
  noAnswer: number;
  /** Any status but 2xx, 4xx, 409, 503 and 504, on any request. */
  other: number;
  /** 2xx orders nowhere in the topic. */
  lost: number;
  /** Records beyond the first of one order (one Idempotency-Key): what exactly once forbids. */
  duplicated: number;
  /** 2xx orders whose record is not at the partition and offset of their receipt (or differs from what was sent). */
  misplaced: number;
  /** Pairs of a user's consecutive 2xx orders that the topic holds in the other order. */
  outOfOrder: number;
  /** Orders with a 504 (or no answer) on some request whose record is in the topic. */
  unknownWritten: number;
  /** Of those, records the broker appended after that answer and before the next request of the order (or with none after it), and the latest by how long (ms). */
  unknownWrittenAfterAnswer: number;
  unknownWrittenLatestMs: number;
  /** Of those, how many landed behind a later 2xx order of the same user. */
  unknownWrittenBehindLaterOrder: number;
  /** Orders answered only 503 (nothing written, every time) whose record is in the topic. */
  unavailableWritten: number;
  /** Records in the topic that no order explains (or a 4xx order has). */
  unexplained: number;
  /** Per key: how many keys the topic holds 0, 1, or more records of. */
  keysWithRecords: { none: number; one: number; more: number };
  /** Evidence for each problem, to print when a check fails. */
  problems: string[];
}

const headerValue = (record: TopicRecord, name: string): string | undefined => record.headers[name] ?? undefined;

const orderIdOf = (record: TopicRecord): string | undefined => {
  try {
    return (JSON.parse(record.value ?? '') as { order_id?: string }).order_id;
  } catch {
    return undefined;
  }
};

const isUnknown = (status: number) => status === 504 || status === 0;

/**
 * The promise of the product, checked against the topic, per order (a shop's request with its
 * retries under one Idempotency-Key):
 * - every order answered 2xx in the end is in the topic exactly once, at the partition and
 *   offset of its receipt, with the value, key and event id that were sent and acknowledged;
 * - no order is in the topic twice, whatever its answers were;
 * - each user's 2xx orders appear in the order their answers were received (one order per user
 *   in flight at a time, so this is also the order they were placed);
 * - every answer is 2xx, 4xx, 409, 503 or 504; an order answered only 503 is not in the topic.
 */
export function checkTopic(invocations: readonly Invocation[], records: readonly TopicRecord[]): CheckResult {
  const result: CheckResult = {
    requests: 0,
    attempts: invocations.length,
    retried: 0,
    success: 0,
    clientError: 0,
    unavailable: 0,
    outcomeUnknown: 0,
    noAnswer: 0,
    other: 0,
    lost: 0,
    duplicated: 0,
    misplaced: 0,
    outOfOrder: 0,
    unknownWritten: 0,
    unknownWrittenAfterAnswer: 0,
    unknownWrittenLatestMs: 0,
    unknownWrittenBehindLaterOrder: 0,
    unavailableWritten: 0,
    unexplained: 0,
    keysWithRecords: { none: 0, one: 0, more: 0 },
    problems: [],
  };
  const recordsByOrder = new Map<string, TopicRecord[]>();
  for (const record of records) {
    const orderId = orderIdOf(record) ?? `(unreadable at ${record.partition}:${record.offset})`;
    recordsByOrder.set(orderId, [...(recordsByOrder.get(orderId) ?? []), record]);
  }
  const attemptsByOrder = new Map<string, Invocation[]>();
  for (const invocation of [...invocations].sort((a, b) => a.seq - b.seq || a.attempt - b.attempt)) {
    attemptsByOrder.set(invocation.order.order_id, [...(attemptsByOrder.get(invocation.order.order_id) ?? []), invocation]);
  }
  const placeOf = new Map<Invocation, TopicRecord>();
  const unknownPlaces: { invocation: Invocation; record: TopicRecord }[] = [];

  for (const [orderId, attempts] of attemptsByOrder) {
    const last = attempts.at(-1) as Invocation;
    const { order, status } = last;
    const found = recordsByOrder.get(orderId) ?? [];
    const where = found.map((record) => `${record.partition}:${record.offset}`).join(', ') || 'nowhere';
    result.requests++;
    if (attempts.length > 1) result.retried++;
    if (found.length === 0) result.keysWithRecords.none++;
    else if (found.length === 1) result.keysWithRecords.one++;
    else result.keysWithRecords.more++;
    if (found.length > 1) {
      result.duplicated += found.length - 1;
      result.problems.push(`duplicated: ${orderId} (answers ${attempts.map((attempt) => attempt.status).join(', ')}) is at ${where}`);
    }
    for (const attempt of attempts) {
      const known =
        isSuccess(attempt.status) ||
        isUnknown(attempt.status) ||
        [409, 503].includes(attempt.status) ||
        (attempt.status >= 400 && attempt.status < 500);
      if (!known) {
        result.other++;
        result.problems.push(`status ${attempt.status} for ${orderId}: ${JSON.stringify(attempt.body)}`);
      }
    }
    // A 504 (or a lost answer) on any request: its record may be there, once; say when it was appended.
    const unknownAt = attempts.findIndex((attempt) => isUnknown(attempt.status));
    const [record] = found;
    if (unknownAt >= 0 && record) {
      result.unknownWritten++;
      unknownPlaces.push({ invocation: attempts[unknownAt] as Invocation, record });
      if (record.timestampType === 'LogAppendTime') {
        for (const [index, attempt] of attempts.entries()) {
          if (!isUnknown(attempt.status)) continue;
          const next = attempts[index + 1];
          const lateMs = record.timestamp - attempt.receivedAt;
          if (lateMs > 0 && (!next || record.timestamp < next.sentAt)) {
            result.unknownWrittenAfterAnswer++;
            result.unknownWrittenLatestMs = Math.max(result.unknownWrittenLatestMs, lateMs);
          }
        }
      }
    }
    if (isSuccess(status)) {
      result.success++;
      const receipt = last.body as Receipt;
      if (found.length === 0) {
        result.lost++;
        result.problems.push(
          `lost: ${orderId} of ${order.user_id} got ${status} at ${receipt.partition}:${receipt.offset}, not in the topic`,
        );
        continue;
      }
      const atReceipt = found.find((candidate) => candidate.partition === receipt.partition && candidate.offset === receipt.offset);
      const faithful =
        atReceipt !== undefined &&
        atReceipt.key === order.user_id &&
        atReceipt.value === JSON.stringify(order) &&
        headerValue(atReceipt, 'event-id') === receipt.event_id;
      if (!faithful) {
        result.misplaced++;
        result.problems.push(`misplaced: ${orderId}'s receipt names ${receipt.partition}:${receipt.offset}, the record is at ${where}`);
      }
      placeOf.set(last, atReceipt ?? (found[0] as TopicRecord));
    } else if (status === 503 || status === 409) {
      result.unavailable++;
      if (found.length > 0 && attempts.every((attempt) => attempt.status === 503)) {
        result.unavailableWritten++;
        result.problems.push(`503 yet written: ${orderId} is at ${where} (${JSON.stringify(last.body)})`);
      }
    } else if (isUnknown(status)) {
      if (status === 504) result.outcomeUnknown++;
      else result.noAnswer++;
    } else if (status >= 400 && status < 500) {
      result.clientError++;
      if (found.length > 0) {
        result.unexplained += found.length;
        result.problems.push(`${status} yet written: ${orderId} is at ${where}`);
      }
    }
  }

  for (const [orderId, found] of recordsByOrder) {
    if (!attemptsByOrder.has(orderId)) {
      result.unexplained += found.length;
      result.problems.push(`unexplained record ${orderId} at ${found.map((record) => `${record.partition}:${record.offset}`).join(', ')}`);
    }
  }

  // Per user: 2xx orders in the order their answers came back must sit at increasing offsets of one partition.
  const successesByUser = new Map<string, Invocation[]>();
  for (const invocation of placeOf.keys()) {
    successesByUser.set(invocation.order.user_id, [...(successesByUser.get(invocation.order.user_id) ?? []), invocation]);
  }
  for (const [userId, successes] of successesByUser) {
    successes.sort((a, b) => a.receivedAt - b.receivedAt || a.seq - b.seq);
    for (let index = 1; index < successes.length; index++) {
      const earlier = placeOf.get(successes[index - 1] as Invocation);
      const later = placeOf.get(successes[index] as Invocation);
      if (!earlier || !later) continue;
      if (earlier.partition !== later.partition || earlier.offset >= later.offset) {
        result.outOfOrder++;
        result.problems.push(
          `out of order: ${userId}'s ${successes[index - 1]?.order.order_id} at ${earlier.partition}:${earlier.offset} was answered before ${successes[index]?.order.order_id} at ${later.partition}:${later.offset}`,
        );
      }
    }
  }
  // A record of an order with a 504, written behind a 2xx order that the same user placed after that 504.
  for (const { invocation, record } of unknownPlaces) {
    const laterSuccesses = (successesByUser.get(invocation.order.user_id) ?? []).filter((later) => later.seq > invocation.seq);
    if (laterSuccesses.some((later) => (placeOf.get(later)?.offset ?? Number.POSITIVE_INFINITY) < record.offset)) {
      result.unknownWrittenBehindLaterOrder++;
    }
  }
  return result;
}

/** The columns that must be 0 in every case. */
export function violations(result: CheckResult) {
  const { other, lost, duplicated, misplaced, outOfOrder, unavailableWritten, unexplained } = result;
  return { other, lost, duplicated, misplaced, outOfOrder, unavailableWritten, unexplained };
}

export const NO_VIOLATIONS = {
  other: 0,
  lost: 0,
  duplicated: 0,
  misplaced: 0,
  outOfOrder: 0,
  unavailableWritten: 0,
  unexplained: 0,
};

/**
 * Seconds from the end of the fault until the last failed answer (anything but 2xx, retries
 * included); 0 when no answer failed after the fault ended.
 */
export function recoverySeconds(invocations: readonly Invocation[], faultEndedAt: number): number {
  const lastFailure = invocations.reduce(
    (latest, invocation) => (isSuccess(invocation.status) ? latest : Math.max(latest, invocation.receivedAt)),
    faultEndedAt,
  );
  return (lastFailure - faultEndedAt) / 1000;
}
