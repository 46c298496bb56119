import type { TopicRecord } from './checker';
import { type BatchInvocation, isSuccess } from './load';

/** A receipt of one order in a 201 or 207 answer (lib/contracts/schemas.ts, BatchRecordReceipt), as the client reads it. */
type OrderReceipt =
  | { status: 'written'; partition: number; offset: number; key: string; event_id: string }
  | { status: 'failed'; key: string; event_id: string; retriable: boolean; outcome: 'not_written' | 'unknown'; reason: string };

export interface BatchCheckResult {
  batches: number;
  /** Requests sent for batches: the first of each and its retries. */
  requests: number;
  /** Batches sent more than once. */
  retried: number;
  /** 207 answers, on any request; and how many of them a retry turned into a 201 in the end. */
  partialAnswers: number;
  partialThenFinished: number;
  /** Batches by their last answer. */
  finished: number;
  /** Batches that ran out of attempts or ended on another answer than 201; their orders may be in the topic 0 or 1 times. */
  unfinished: number;
  /** Orders of all batches. */
  orders: number;
  /** Orders in the topic exactly once. */
  exactlyOnce: number;
  /** Orders whose last receipt said failed, or whose batch never got a 2xx, with no record: allowed, counted. */
  notInTopic: number;
  /**
   * Orders with a failed receipt of outcome unknown (or a 504 or lost answer) whose record the
   * broker had appended (LogAppendTime) before the request that answered it written: a retry found it in the log.
   */
  unknownFound: number;
  // Violations: every one must be 0.
  /** Answers but 2xx, 409, 503 and 504 (the batches are valid: a 4xx is wrong), 2xx bodies without one receipt per order, a 201 with a failed receipt. */
  other: number;
  /** Orders whose last receipt says written (every order of a 201) with no record in the topic. */
  lost: number;
  /** Records beyond the first of one order (counted by order_id, and by idempotency-key and event-id). */
  duplicated: number;
  /**
   * The last receipt of a written order does not point at its record (partition, offset), or that
   * record is not what was sent (key, value, event-id, idempotency-key); an earlier written
   * receipt of the order that a later answer changed; a record whose event-id differs from its receipts'.
   */
  receiptMismatch: number;
  /** Pairs of one user's written orders (in the order the shop sent them) that the topic holds the other way round. */
  outOfOrder: number;
  /** Orders in the topic though every answer since their last receipt said nothing was written (503; or not_written, with only 503 and 409 after it). */
  notWrittenInTopic: number;
  /** Evidence for each violation, to print when a check fails. */
  problems: string[];
  /** What is allowed but worth a line: the batches left unfinished. */
  notes: string[];
}

const orderIdOf = (record: TopicRecord): string | undefined => {
  try {
    return (JSON.parse(record.value ?? '') as { order_id?: string }).order_id;
  } catch {
    return undefined;
  }
};

const place = (record: { partition: number; offset: number }) => `${record.partition}:${record.offset}`;
const isUnknown = (status: number) => status === 504 || status === 0;
const wroteNothing = (status: number) => status === 503 || status === 409;

/** The records of the batches' orders, and the rest (for the single-order checker, which calls unexplained what it cannot place). */
export function splitRecords(
  invocations: readonly BatchInvocation[],
  records: readonly TopicRecord[],
): { batchRecords: TopicRecord[]; otherRecords: TopicRecord[] } {
  const batchOrderIds = new Set(invocations.flatMap((invocation) => invocation.orders.map((order) => order.order_id)));
  const batchRecords: TopicRecord[] = [];
  const otherRecords: TopicRecord[] = [];
  for (const record of records) (batchOrderIds.has(orderIdOf(record) ?? '') ? batchRecords : otherRecords).push(record);
  return { batchRecords, otherRecords };
}

function receiptsOf(invocation: BatchInvocation): OrderReceipt[] | undefined {
  const receipts = (invocation.body as { receipts?: unknown } | null)?.receipts;
  return Array.isArray(receipts) && receipts.length === invocation.orders.length ? (receipts as OrderReceipt[]) : undefined;
}

/**
 * The promise for batches, per order, against the whole topic: a shop that retries a batch with
 * the same Idempotency-Key and body until a 201 gets every order exactly once.
 * - No order is in the topic twice, whatever the answers were.
 * - The receipt of each order in the batch's last 2xx answer is its final word: a written one
 *   names the order's record (partition, offset; with the key, value, event-id and
 *   idempotency-key sent); a failed one of outcome not_written means not in the topic unless a
 *   later request may have written it (a 504 or lost answer).
 * - A written receipt never changes in a later answer of the batch (the retry keeps it).
 * - Within a user, written orders are in the topic in the order the shop sent them: by batch
 *   (a user's next batch goes only once the last one is settled), then by position in the batch.
 * - Every answer is 201 or 207 (with one receipt per order), 409, 503 or 504: the clients send
 *   only valid batches, so any other 4xx is a violation too. A batch answered only 503 (and 409) wrote nothing.
 */
export function checkBatches(invocations: readonly BatchInvocation[], records: readonly TopicRecord[]): BatchCheckResult {
  const result: BatchCheckResult = {
    batches: 0,
    requests: invocations.length,
    retried: 0,
    partialAnswers: 0,
    partialThenFinished: 0,
    finished: 0,
    unfinished: 0,
    orders: 0,
    exactlyOnce: 0,
    notInTopic: 0,
    unknownFound: 0,
    other: 0,
    lost: 0,
    duplicated: 0,
    receiptMismatch: 0,
    outOfOrder: 0,
    notWrittenInTopic: 0,
    problems: [],
    notes: [],
  };
  const recordsByOrder = new Map<string, TopicRecord[]>();
  const recordsByEventId = new Map<string, TopicRecord[]>();
  for (const record of records) {
    const orderId = orderIdOf(record) ?? `(unreadable at ${place(record)})`;
    recordsByOrder.set(orderId, [...(recordsByOrder.get(orderId) ?? []), record]);
    const eventKey = `${record.headers['idempotency-key']} ${record.headers['event-id']}`;
    recordsByEventId.set(eventKey, [...(recordsByEventId.get(eventKey) ?? []), record]);
  }
  for (const [eventKey, found] of recordsByEventId) {
    const orderIds = new Set(found.map(orderIdOf));
    // One order twice is counted per order below; two orders under one event id is a mismatch.
    if (orderIds.size > 1) {
      result.receiptMismatch += found.length - 1;
      result.problems.push(
        `one event id for ${[...orderIds].join(', ')}: (idempotency-key event-id) ${eventKey} at ${found.map(place).join(', ')}`,
      );
    }
  }
  const requestsByBatch = new Map<number, BatchInvocation[]>();
  for (const invocation of [...invocations].sort((a, b) => a.seq - b.seq || a.attempt - b.attempt)) {
    requestsByBatch.set(invocation.seq, [...(requestsByBatch.get(invocation.seq) ?? []), invocation]);
  }
  /** Per user, their written orders (batch, position) and where their records are. */
  const writtenByUser = new Map<string, { seq: number; index: number; orderId: string; record: TopicRecord }[]>();

  for (const [seq, requests] of requestsByBatch) {
    const last = requests.at(-1) as BatchInvocation;
    const { key, orders } = last;
    result.batches++;
    if (requests.length > 1) result.retried++;
    const partials = requests.filter((request) => request.status === 207).length;
    result.partialAnswers += partials;
    if (last.status === 201) {
      result.finished++;
      if (partials > 0) result.partialThenFinished++;
    } else {
      result.unfinished++;
      result.notes.push(`unfinished (allowed, counted): batch ${key} answered ${requests.map((request) => request.status).join(', ')}`);
    }
    const successes: { request: BatchInvocation; at: number; receipts: OrderReceipt[] }[] = [];
    for (const [at, request] of requests.entries()) {
      // The clients send only valid batches: a 4xx but 409 (a 422 for "another body", say) is a violation too.
      const known = isSuccess(request.status) || isUnknown(request.status) || wroteNothing(request.status);
      const receipts = isSuccess(request.status) ? receiptsOf(request) : undefined;
      if (!known || (isSuccess(request.status) && !receipts)) {
        result.other++;
        result.problems.push(
          `status ${request.status} for batch ${key} (request ${request.attempt}): ${JSON.stringify(request.body).slice(0, 300)}`,
        );
      }
      if (receipts) successes.push({ request, at, receipts });
      if (request.status === 201 && receipts?.some((receipt) => receipt.status !== 'written')) {
        result.other++;
        result.problems.push(`201 with a failed receipt: batch ${key} (request ${request.attempt})`);
      }
    }
    const lastSuccess = successes.at(-1);

    for (const [index, order] of orders.entries()) {
      const orderId = order.order_id;
      const found = recordsByOrder.get(orderId) ?? [];
      const where = found.map(place).join(', ') || 'nowhere';
      const history = requests
        .map((request) => {
          const receipt = receiptsOf(request)?.[index];
          return `${request.status}${receipt ? `(${receipt.status === 'written' ? place(receipt) : receipt.outcome})` : ''}`;
        })
        .join(', ');
      result.orders++;
      if (found.length === 1) result.exactlyOnce++;
      if (found.length === 0) result.notInTopic++;
      if (found.length > 1) {
        result.duplicated += found.length - 1;
        result.problems.push(`duplicated: ${orderId} of ${order.user_id} (batch ${key}: ${history}) is at ${where}`);
      }
      // Every record of the order carries the batch's key and the one event id its receipts name.
      const eventIds = new Set(
        successes.map(({ receipts }) => receipts[index]?.event_id).filter((eventId): eventId is string => eventId !== undefined),
      );
      for (const record of found) {
        const eventId = record.headers['event-id'] ?? '';
        if (record.headers['idempotency-key'] !== key || (eventIds.size > 0 && !eventIds.has(eventId)) || eventIds.size > 1) {
          result.receiptMismatch++;
          result.problems.push(
            `event id: ${orderId}'s record at ${place(record)} has idempotency-key ${record.headers['idempotency-key']} event-id ${eventId}; the receipts name ${[...eventIds].join(', ') || 'none'} under ${key}`,
          );
        }
      }
      // A written receipt stays as it was.
      const writtenAt = new Set(
        successes.flatMap(({ receipts }) => {
          const receipt = receipts[index];
          return receipt?.status === 'written' ? [place(receipt)] : [];
        }),
      );
      if (writtenAt.size > 1) {
        result.receiptMismatch++;
        result.problems.push(`receipt changed: ${orderId} (batch ${key}: ${history}) was written at ${[...writtenAt].join(' then ')}`);
      }
      // An unknown outcome, then a retry that answered written with a record appended before it was sent: found in the log.
      const firstWritten = successes.find((success) => success.receipts[index]?.status === 'written');
      const [firstRecord] = found;
      const unknownBefore = requests.slice(0, firstWritten?.at ?? 0).some((request) => {
        const receipt = receiptsOf(request)?.[index];
        return isUnknown(request.status) || (receipt?.status === 'failed' && receipt.outcome === 'unknown');
      });
      if (
        firstWritten &&
        unknownBefore &&
        firstRecord?.timestampType === 'LogAppendTime' &&
        firstRecord.timestamp < firstWritten.request.sentAt
      ) {
        result.unknownFound++;
      }

      const final = lastSuccess?.receipts[index];
      if (final?.status === 'written') {
        if (found.length === 0) {
          result.lost++;
          result.problems.push(`lost: ${orderId} of ${order.user_id} (batch ${key}: ${history}) is not in the topic`);
          continue;
        }
        const atReceipt = found.find((record) => record.partition === final.partition && record.offset === final.offset);
        const faithful =
          atReceipt !== undefined &&
          atReceipt.key === order.user_id &&
          final.key === order.user_id &&
          atReceipt.value === JSON.stringify(order) &&
          atReceipt.headers['event-id'] === final.event_id &&
          atReceipt.headers['idempotency-key'] === key;
        if (!faithful) {
          result.receiptMismatch++;
          result.problems.push(
            `receipt mismatch: ${orderId}'s final receipt names ${place(final)}, the record is at ${where} (batch ${key}: ${history})`,
          );
        }
        const record = atReceipt ?? (found[0] as TopicRecord);
        writtenByUser.set(order.user_id, [...(writtenByUser.get(order.user_id) ?? []), { seq, index, orderId, record }]);
        continue;
      }
      // Not written by the last 2xx answer (or none): in the topic only if a later request may have written it.
      const after = requests.slice(lastSuccess ? lastSuccess.at + 1 : 0);
      const surelyNotWritten = lastSuccess ? final?.outcome === 'not_written' : true;
      if (found.length > 0 && surelyNotWritten && after.every((request) => wroteNothing(request.status))) {
        result.notWrittenInTopic++;
        result.problems.push(`not written, yet in the topic: ${orderId} (batch ${key}: ${history}) is at ${where}`);
      }
    }
  }

  for (const [userId, written] of writtenByUser) {
    written.sort((a, b) => a.seq - b.seq || a.index - b.index);
    for (let index = 1; index < written.length; index++) {
      const earlier = written[index - 1] as (typeof written)[number];
      const later = written[index] as (typeof written)[number];
      if (earlier.record.partition !== later.record.partition || earlier.record.offset >= later.record.offset) {
        result.outOfOrder++;
        result.problems.push(
          `out of order: ${userId} sent ${earlier.orderId} before ${later.orderId}${earlier.seq === later.seq ? ' in one batch' : ''}, the topic has them at ${place(earlier.record)} and ${place(later.record)}`,
        );
      }
    }
  }
  return result;
}

/** The columns that must be 0 in every case. */
export function batchViolations(result: BatchCheckResult) {
  const { other, lost, duplicated, receiptMismatch, outOfOrder, notWrittenInTopic } = result;
  return { other, lost, duplicated, receiptMismatch, outOfOrder, notWrittenInTopic };
}

export const NO_BATCH_VIOLATIONS = { other: 0, lost: 0, duplicated: 0, receiptMismatch: 0, outOfOrder: 0, notWrittenInTopic: 0 };

/** The failed receipts of 207 answers, grouped by outcome and reason (numbers and addresses blanked), most frequent first. */
export function partialReasons(invocations: readonly BatchInvocation[]): string {
  const counts = new Map<string, number>();
  for (const invocation of invocations) {
    if (invocation.status !== 207) continue;
    for (const receipt of receiptsOf(invocation) ?? []) {
      if (receipt.status !== 'failed') continue;
      const key = `${receipt.outcome}${receipt.retriable ? '' : ' (not retriable)'}: ${receipt.reason.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<broker>').replace(/\d+/g, 'N')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `  ${String(count).padStart(5)} × 207 receipt ${key}`)
    .join('\n');
}
