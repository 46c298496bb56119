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
  requests: number;
  success: number;
  clientError: number;
  unavailable: number;
  outcomeUnknown: number;
  /** Any status but 2xx, 4xx, 503 and 504. */
  other: number;
  /** 2xx whose order is nowhere in the topic. */
  lost: number;
  /** Extra copies of 2xx or 504 orders. */
  duplicated: number;
  /** 2xx whose record is in the topic, but not at the partition and offset of its receipt (or differs from what was sent). */
  misplaced: number;
  /** Pairs of a user's consecutive 2xx orders that the topic holds in the other order. */
  outOfOrder: number;
  /** Requests the client gave up on without an answer (status 0): outcome unknown, as a 504. */
  noAnswer: number;
  /** 504s whose order is in the topic (once): allowed, the outcome was unknown. */
  unknownWritten: number;
  /** Of those, how many the broker appended after the 504 was answered, and the latest by how long (ms). */
  unknownWrittenAfterAnswer: number;
  unknownWrittenLatestMs: number;
  /** Of those, how many landed behind a later 2xx order of the same user. */
  unknownWrittenBehindLaterOrder: number;
  /** 503s whose order is in the topic: a 503 promises nothing was written. */
  unavailableWritten: number;
  /** Records in the topic that no 2xx, 503 or 504 order explains. */
  unexplained: number;
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

/**
 * The promise of the product, checked against the topic:
 * - every 2xx order is in the topic exactly once, at the partition and offset of its receipt,
 *   with the value, key and event id that were sent and acknowledged;
 * - each user's 2xx orders appear in the order their responses were received (one request per
 *   user in flight at a time, so this is also the order they were sent);
 * - every answer is 2xx, 4xx, 503 or 504; a 504'd order is in the topic at most once, a 503'd one not at all
 *   (a request left without any answer, status 0, counts as a 504).
 */
export function checkTopic(invocations: readonly Invocation[], records: readonly TopicRecord[]): CheckResult {
  const result: CheckResult = {
    requests: invocations.length,
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
    problems: [],
  };
  const recordsByOrder = new Map<string, TopicRecord[]>();
  for (const record of records) {
    const orderId = orderIdOf(record) ?? `(unreadable at ${record.partition}:${record.offset})`;
    recordsByOrder.set(orderId, [...(recordsByOrder.get(orderId) ?? []), record]);
  }
  const explained = new Set<string>();
  const placeOf = new Map<Invocation, TopicRecord>();
  const unknownPlaces: { invocation: Invocation; record: TopicRecord }[] = [];

  for (const invocation of invocations) {
    const { order, status } = invocation;
    const found = recordsByOrder.get(order.order_id) ?? [];
    const where = found.map((record) => `${record.partition}:${record.offset}`).join(', ') || 'nowhere';
    explained.add(order.order_id);
    if (isSuccess(status)) {
      result.success++;
      const receipt = invocation.body as Receipt;
      if (found.length === 0) {
        result.lost++;
        result.problems.push(
          `lost: ${order.order_id} of ${order.user_id} got ${status} at ${receipt.partition}:${receipt.offset}, not in the topic`,
        );
        continue;
      }
      if (found.length > 1) {
        result.duplicated += found.length - 1;
        result.problems.push(`duplicated: ${order.order_id} (${status}) is at ${where}`);
      }
      const atReceipt = found.find((record) => record.partition === receipt.partition && record.offset === receipt.offset);
      const faithful =
        atReceipt !== undefined &&
        atReceipt.key === order.user_id &&
        atReceipt.value === JSON.stringify(order) &&
        headerValue(atReceipt, 'event-id') === receipt.event_id;
      if (!faithful) {
        result.misplaced++;
        result.problems.push(
          `misplaced: ${order.order_id}'s receipt names ${receipt.partition}:${receipt.offset}, the record is at ${where}`,
        );
      }
      placeOf.set(invocation, atReceipt ?? (found[0] as TopicRecord));
    } else if (status === 503) {
      result.unavailable++;
      if (found.length > 0) {
        result.unavailableWritten++;
        result.problems.push(`503 yet written: ${order.order_id} is at ${where} (${JSON.stringify(invocation.body)})`);
      }
    } else if (status === 504 || status === 0) {
      if (status === 504) result.outcomeUnknown++;
      else result.noAnswer++;
      const [record] = found;
      if (record) {
        result.unknownWritten++;
        const lateMs = record.timestampType === 'LogAppendTime' ? record.timestamp - invocation.receivedAt : 0;
        if (lateMs > 0) {
          result.unknownWrittenAfterAnswer++;
          result.unknownWrittenLatestMs = Math.max(result.unknownWrittenLatestMs, lateMs);
        }
        unknownPlaces.push({ invocation, record });
      }
      if (found.length > 1) {
        result.duplicated += found.length - 1;
        result.problems.push(`duplicated: ${order.order_id} (504) is at ${where}`);
      }
    } else if (status >= 400 && status < 500) {
      result.clientError++;
      if (found.length > 0) {
        result.unexplained += found.length;
        result.problems.push(`${status} yet written: ${order.order_id} is at ${where}`);
      }
    } else {
      result.other++;
      result.problems.push(`status ${status} for ${order.order_id}: ${JSON.stringify(invocation.body)}`);
    }
  }

  for (const [orderId, found] of recordsByOrder) {
    if (!explained.has(orderId)) {
      result.unexplained += found.length;
      result.problems.push(`unexplained record ${orderId} at ${found.map((record) => `${record.partition}:${record.offset}`).join(', ')}`);
    }
  }

  // Per user: 2xx orders in the order their answers came back must sit at increasing offsets of one partition.
  const successesByUser = new Map<string, Invocation[]>();
  for (const invocation of invocations) {
    if (!isSuccess(invocation.status)) continue;
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
  // A 504'd record written behind a 2xx order that the same user placed after the 504.
  for (const { invocation, record } of unknownPlaces) {
    const laterSuccesses = (successesByUser.get(invocation.order.user_id) ?? []).filter((later) => later.sentAt >= invocation.receivedAt);
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
 * Seconds from the end of the fault until the last failed answer (anything but 2xx); 0 when no
 * answer failed after the fault ended.
 */
export function recoverySeconds(invocations: readonly Invocation[], faultEndedAt: number): number {
  const lastFailure = invocations.reduce(
    (latest, invocation) => (isSuccess(invocation.status) ? latest : Math.max(latest, invocation.receivedAt)),
    faultEndedAt,
  );
  return (lastFailure - faultEndedAt) / 1000;
}
