import type { Deadline } from '../deadline';

/**
 * The port of the idempotency store: what lib/idempotency/idempotent-publishing.ts needs of it.
 * The real one is DynamoDB (./dynamodb-store.ts); unit tests pass their own.
 */

export type Operation = 'order' | 'batch';

/** What a request published, or tried to: enough to find its records in the log later. */
export interface PublishedOrders {
  /** The records' keys (user ids), one per order, in request order. */
  keys: string[];
  /** The records' event-id headers, one per order. */
  eventIds: string[];
}

/** One attempt to publish under a key. */
export interface Attempt {
  /** When the attempt began (ms since the epoch), before anything was sent. */
  startedAt: number;
  /** When its lease ended: its deadline, after which it sends nothing more. */
  leaseUntil: number;
}

/** The answer stored for replay, byte for byte. */
export interface StoredAnswer {
  statusCode: number;
  body: string;
}

export interface ClaimRequest {
  key: string;
  operation: Operation;
  /** A hash of the validated request: the same key with another request is refused. */
  fingerprint: string;
  orders: PublishedOrders;
  attempt: Attempt;
  /** When the key may be forgotten (ms since the epoch). */
  expiresAt: number;
}

export type Claim =
  /**
   * This request holds the key until its lease ends; `earlierAttempts` may have written records.
   * `partial` is the answer of an earlier attempt that wrote only some orders of a batch (a 207):
   * its receipts say which are written, which were refused and which are of unknown outcome.
   */
  | { outcome: 'claimed'; lease: string; earlierAttempts: Attempt[]; partial?: StoredAnswer }
  | { outcome: 'replay'; answer: StoredAnswer }
  | { outcome: 'reused'; operation: Operation }
  /** Another attempt holds the key, or has not settled: retry after this long. */
  | { outcome: 'in-flight'; retryAfterMs: number };

export interface IdempotencyStore {
  /** Claims the key for this attempt, or says why not. Rejects when the store cannot answer by the deadline. */
  claim(request: ClaimRequest, deadline: Deadline): Promise<Claim>;
  /** Stores the answer for replay; the key's lease ends. */
  complete(key: string, lease: string, answer: StoredAnswer, deadline: Deadline): Promise<void>;
  /**
   * Stores a batch's answer that wrote only some of its orders (a 207). A retry with the same key
   * and body takes the key over, from `settledAt` on (when no earlier send can still land), with
   * this answer and `attempts` in its claim, and finishes the batch.
   */
  completePartial(
    key: string,
    lease: string,
    partial: { answer: StoredAnswer; attempts: Attempt[]; settledAt: number },
    deadline: Deadline,
  ): Promise<void>;
  /**
   * Nothing of this attempt was written: the key is forgotten, or, when earlier attempts may have
   * written records, goes back to their outcome-unknown state, or to the 207 (`partial`) that the
   * attempt set out to finish.
   */
  release(key: string, lease: string, earlierAttempts: Attempt[], deadline: Deadline, partial?: StoredAnswer): Promise<void>;
  /**
   * The attempt may or may not have written its records: the key stays, outcome unknown, with every
   * attempt so far, and a later retry looks for every order in the log.
   */
  markUnknown(key: string, lease: string, attempts: Attempt[], deadline: Deadline): Promise<void>;
}

/** The lease was taken over by a later request (this one outlived its deadline): nothing was changed. */
export class LeaseLostError extends Error {
  constructor(key: string) {
    super(`The lease on idempotency key ${JSON.stringify(key)} was taken over`);
    this.name = 'LeaseLostError';
  }
}
