import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { Deadline } from '../deadline';
import { IdempotencyRecordCorruptError } from '../errors';
import { type Attempt, type Claim, type ClaimRequest, type IdempotencyStore, LeaseLostError, type StoredAnswer } from './store';

/**
 * The idempotency store on DynamoDB, with conditional writes only.
 *
 * Why not Powertools Idempotency's DynamoDBPersistenceLayer, whose table layout this keeps (`id`,
 * `expiration` as the TTL attribute, `status`, `in_progress_expiration`, `validation`, `data`):
 * - its records are INPROGRESS or COMPLETED, and it deletes one when the function throws. A 504
 *   needs a third state, outcome unknown, that keeps the key and what the next attempt must
 *   reconcile; its IdempotencyRecord throws on any other status it reads;
 * - it completes and deletes records unconditionally. A request that outlived its lease would
 *   overwrite the answer of the request that took the key over; here every write after the claim
 *   is conditional on the claim's lease token;
 * - its in-progress put replaces the item, so a takeover would lose the earlier attempts, and
 *   it stores no attributes of ours (the attempts, the event ids);
 * - it hashes the raw event; the fingerprint here is taken over the validated orders, after 4xx
 *   answers (which are never stored).
 */

/** The item as this service writes it. */
const ItemSchema = z.object({
  id: z.object({ S: z.string() }),
  status: z.object({ S: z.enum(['INPROGRESS', 'COMPLETED', 'UNKNOWN', 'PARTIAL']) }),
  expiration: z.object({ N: z.string().regex(/^\d+$/) }),
  in_progress_expiration: z.object({ N: z.string().regex(/^\d+$/) }),
  validation: z.object({ S: z.string().min(1) }),
  operation: z.object({ S: z.enum(['order', 'batch']) }),
  version: z.object({ N: z.string().regex(/^\d+$/) }),
  lease: z.object({ S: z.string() }).optional(),
  orders: z.object({ S: z.string() }),
  attempts: z.object({ S: z.string() }),
  data: z.object({ S: z.string() }).optional(),
  status_code: z.object({ N: z.string().regex(/^\d{3}$/) }).optional(),
  settled_at: z.object({ N: z.string().regex(/^\d+$/) }).optional(),
});

const AttemptsSchema = z.array(z.object({ startedAt: z.number(), leaseUntil: z.number() })).min(1);

interface StoredRecord {
  status: 'INPROGRESS' | 'COMPLETED' | 'UNKNOWN' | 'PARTIAL';
  fingerprint: string;
  operation: 'order' | 'batch';
  version: number;
  attempts: Attempt[];
  answer: StoredAnswer | undefined;
  /** PARTIAL: from when a retry may take the key over. */
  settledAt: number | undefined;
}

/** The attributes of a 207 that a retry finishes (status PARTIAL), absent in every other state. */
const PARTIAL_ANSWER = ['data', 'status_code', 'settled_at'];

/** Attempts kept per key: enough for the reconciliation's lower bound, and a bound on the item's size. */
const MAX_ATTEMPTS = 20;

type Values = Record<string, AttributeValue>;

/**
 * An update of the item, conditional on `condition`. Every attribute is named through a
 * placeholder (#status), as several of ours are DynamoDB reserved words (status, data).
 */
function update(table: string, key: string, set: Values, remove: string[], condition: string, conditionValues: Values) {
  const assignments = [...Object.keys(set).map((name) => `#${name} = :${name}`), '#version = #version + :one'];
  const expression = `SET ${assignments.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map((name) => `#${name}`).join(', ')}` : ''}`;
  const placeholders = new Set(`${expression} ${condition}`.match(/#\w+/g));
  return new UpdateItemCommand({
    TableName: table,
    Key: { id: { S: key } },
    UpdateExpression: expression,
    ConditionExpression: condition,
    ExpressionAttributeNames: Object.fromEntries([...placeholders].map((placeholder) => [placeholder, placeholder.slice(1)])),
    ExpressionAttributeValues: {
      ...Object.fromEntries(Object.entries(set).map(([name, value]) => [`:${name}`, value])),
      ...conditionValues,
      ':one': { N: '1' },
    },
  });
}

export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(request: ClaimRequest, deadline: Deadline): Promise<Claim> {
    const lease = randomUUID();
    // A key changed between our read and our write fails the write: look again, a few times at
    // most (each round needs another request to have changed the item meanwhile).
    for (let round = 0; round < 3; round++) {
      const now = this.now();
      try {
        await this.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              id: { S: request.key },
              status: { S: 'INPROGRESS' },
              expiration: { N: String(Math.ceil(request.expiresAt / 1000)) },
              in_progress_expiration: { N: String(request.attempt.leaseUntil) },
              validation: { S: request.fingerprint },
              operation: { S: request.operation },
              version: { N: '1' },
              lease: { S: lease },
              orders: { S: JSON.stringify(request.orders) },
              attempts: { S: JSON.stringify([request.attempt]) },
            },
            // The key is new, or expired (TTL deletes expired items within days, not at once).
            ConditionExpression: 'attribute_not_exists(id) OR expiration < :now',
            ExpressionAttributeValues: { ':now': { N: String(Math.floor(now / 1000)) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          deadline,
        );
        return { outcome: 'claimed', lease, earlierAttempts: [] };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // DynamoDB returns the item that failed the condition; dynalite does not.
        const existing = error.Item ?? (await this.get(request.key, deadline));
        if (!existing) continue;
        const record = parseItem(existing);
        if (record.operation !== request.operation || record.fingerprint !== request.fingerprint) {
          return { outcome: 'reused', operation: record.operation };
        }
        if (record.status === 'COMPLETED' && record.answer) return { outcome: 'replay', answer: record.answer };
        // In progress, or outcome unknown: an attempt may write until its lease ends, and its last
        // request may still be inside a broker a while after that. A 207 says itself whether any
        // of its orders may still land.
        const settledAt =
          record.status === 'PARTIAL' && record.settledAt !== undefined
            ? record.settledAt
            : Math.max(...record.attempts.map((attempt) => attempt.leaseUntil)) + this.settleMs;
        if (now < settledAt) return { outcome: 'in-flight', retryAfterMs: settledAt - now };
        const earlierAttempts = record.attempts.slice(-(MAX_ATTEMPTS - 1));
        try {
          // Taken over only if nothing changed since we read it.
          await this.send(
            update(
              this.table,
              request.key,
              {
                status: { S: 'INPROGRESS' },
                lease: { S: lease },
                in_progress_expiration: { N: String(request.attempt.leaseUntil) },
                attempts: { S: JSON.stringify([...earlierAttempts, request.attempt]) },
                expiration: { N: String(Math.ceil(request.expiresAt / 1000)) },
              },
              // A 207's answer moves into the claim: should this attempt die, the next one must not
              // take the orders it may have sent for unwritten, and looks for all of them in the log.
              PARTIAL_ANSWER,
              '#version = :seen',
              { ':seen': { N: String(record.version) } },
            ),
            deadline,
          );
          return { outcome: 'claimed', lease, earlierAttempts, ...(record.answer ? { partial: record.answer } : {}) };
        } catch (takeover) {
          if (!(takeover instanceof ConditionalCheckFailedException)) throw takeover;
        }
      }
    }
    return { outcome: 'in-flight', retryAfterMs: 1_000 };
  }

  complete(key: string, lease: string, answer: StoredAnswer, deadline: Deadline): Promise<void> {
    return this.whileHeld(
      key,
      lease,
      { status: { S: 'COMPLETED' }, data: { S: answer.body }, status_code: { N: String(answer.statusCode) } },
      deadline,
    );
  }

  completePartial(
    key: string,
    lease: string,
    { answer, attempts, settledAt }: { answer: StoredAnswer; attempts: Attempt[]; settledAt: number },
    deadline: Deadline,
  ): Promise<void> {
    return this.whileHeld(
      key,
      lease,
      {
        status: { S: 'PARTIAL' },
        data: { S: answer.body },
        status_code: { N: String(answer.statusCode) },
        attempts: { S: JSON.stringify(attempts.slice(-MAX_ATTEMPTS)) },
        settled_at: { N: String(Math.ceil(settledAt)) },
      },
      deadline,
    );
  }

  markUnknown(key: string, lease: string, attempts: Attempt[], deadline: Deadline): Promise<void> {
    return this.whileHeld(key, lease, { status: { S: 'UNKNOWN' }, attempts: { S: JSON.stringify(attempts) } }, deadline);
  }

  async release(key: string, lease: string, earlierAttempts: Attempt[], deadline: Deadline, partial?: StoredAnswer): Promise<void> {
    if (partial && earlierAttempts.length > 0) {
      // Back to the 207 this attempt set out to finish: it wrote nothing, and the earlier attempts
      // had settled before it claimed the key.
      await this.completePartial(key, lease, { answer: partial, attempts: earlierAttempts, settledAt: this.now() }, deadline);
      return;
    }
    if (earlierAttempts.length > 0) {
      const leaseUntil = Math.max(...earlierAttempts.map((attempt) => attempt.leaseUntil));
      const set = {
        status: { S: 'UNKNOWN' },
        attempts: { S: JSON.stringify(earlierAttempts) },
        in_progress_expiration: { N: String(leaseUntil) },
      };
      await this.whileHeld(key, lease, set, deadline);
      return;
    }
    try {
      await this.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { id: { S: key } },
          ConditionExpression: '#lease = :lease',
          ExpressionAttributeNames: { '#lease': 'lease' },
          ExpressionAttributeValues: { ':lease': { S: lease } },
        }),
        deadline,
      );
    } catch (error) {
      throw error instanceof ConditionalCheckFailedException ? new LeaseLostError(key) : error;
    }
  }

  /** An update made only while this request's claim holds; the lease ends with it. */
  private async whileHeld(key: string, lease: string, set: Values, deadline: Deadline): Promise<void> {
    const remove = ['lease', ...PARTIAL_ANSWER.filter((name) => !(name in set))];
    try {
      await this.send(update(this.table, key, set, remove, '#lease = :lease', { ':lease': { S: lease } }), deadline);
    } catch (error) {
      throw error instanceof ConditionalCheckFailedException ? new LeaseLostError(key) : error;
    }
  }

  private async get(key: string, deadline: Deadline): Promise<Values | undefined> {
    const { Item } = await this.send<{ Item?: Values }>(
      new GetItemCommand({ TableName: this.table, Key: { id: { S: key } }, ConsistentRead: true }),
      deadline,
    );
    return Item;
  }

  /** Every store request is bounded by the request's deadline. */
  private send<Output = unknown>(
    command: PutItemCommand | UpdateItemCommand | DeleteItemCommand | GetItemCommand,
    deadline: Deadline,
  ): Promise<Output> {
    const send = this.client.send.bind(this.client) as (command: unknown, options: { abortSignal: AbortSignal }) => Promise<Output>;
    return send(command, { abortSignal: AbortSignal.timeout(Math.max(1, deadline.remainingMs())) });
  }
}

function parseItem(item: Values): StoredRecord {
  const parsed = ItemSchema.safeParse(item);
  if (!parsed.success) {
    throw new IdempotencyRecordCorruptError(`An idempotency item is not one this service writes: ${z.prettifyError(parsed.error)}`);
  }
  const { data } = parsed;
  let attempts: Attempt[];
  try {
    attempts = AttemptsSchema.parse(JSON.parse(data.attempts.S));
  } catch (error) {
    throw new IdempotencyRecordCorruptError('An idempotency item holds unreadable attempts', { cause: error });
  }
  return {
    status: data.status.S,
    fingerprint: data.validation.S,
    operation: data.operation.S,
    version: Number(data.version.N),
    attempts,
    answer: data.data && data.status_code ? { statusCode: Number(data.status_code.N), body: data.data.S } : undefined,
    settledAt: data.settled_at ? Number(data.settled_at.N) : undefined,
  };
}
