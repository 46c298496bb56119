/**
 * How big a run is. `npm run test:faults` runs the suite in full; `npm test` runs the same cases
 * shortened (FAULT_SUITE_SCALE=short in its "faults" project): the same faults, with less
 * steady load around them and shorter outages that still outlast the timeouts that matter.
 */
export type FaultSuiteScale = 'full' | 'short';

export interface FaultSuiteTiming {
  scale: FaultSuiteScale;
  /** Lambda execution environments, each with one invocation at a time: the requests in flight at most (batchEnvironments of them send batches). */
  environments: number;
  /** Distinct user_ids (record keys); each has at most one request in flight. */
  users: number;
  /** Pause of an environment between an answer and its next request (±50%). */
  thinkTimeMs: number;
  /** PUBLISH_TIMEOUT_MS of the environments: above kafkajs' 5 s request timeout, so that timeouts happen inside the deadline. */
  publishTimeoutMs: number;
  /** Steady load before each fault. */
  warmupMs: number;
  /** Cases 1 and 2: the broker stays down this long once it is gone. */
  holdDownMs: number;
  /** Case 3: SIGSTOP this long, more than kafkajs' request timeout (5 s). */
  pauseMs: number;
  /** Case 4: two brokers down this long. */
  outageMs: number;
  /** Case 6: the environments start cold against stopped brokers and keep trying this long. */
  coldOutageMs: number;
  /** Case 5: every environment sits idle this long, past the broker's idle-connection reaper (5 s). */
  idleMs: number;
  /** Recovered: this many 2xx answers in a row after the fault ended. */
  successStreak: number;
  /** Steady load after recovery. */
  tailMs: number;
  /** Generated bad bodies through the real handlers (at least 10,000 in full). */
  badBodies: number;
  /**
   * Requests per order at most, as a shop that retries 503, 504, 409 and lost answers with the same
   * key. At about a second each (Retry-After), enough to outlast every fault: an order given up
   * during an outage would leave its key with no record, and the suite shows every key with one.
   */
  maxAttempts: number;
  /**
   * Of the environments, how many send batches (POST /orders/batch) instead of single orders:
   * each batch has `ordersPerBatch` orders of `usersPerBatch` users (several orders per user, so
   * the order within a key is exercised), drawn from `batchUsers` users of their own, and is
   * retried with the same key and body on 207, 503, 504, 409 and lost answers, up to maxAttempts.
   */
  batchEnvironments: number;
  ordersPerBatch: number;
  usersPerBatch: number;
  batchUsers: number;
}

const TIMINGS: Record<FaultSuiteScale, FaultSuiteTiming> = {
  full: {
    scale: 'full',
    environments: 20,
    users: 50,
    thinkTimeMs: 400,
    publishTimeoutMs: 8_000,
    warmupMs: 5_000,
    holdDownMs: 5_000,
    pauseMs: 12_000,
    outageMs: 8_000,
    coldOutageMs: 6_000,
    idleMs: 10_000,
    successStreak: 40,
    tailMs: 5_000,
    badBodies: 10_000,
    maxAttempts: 40,
    batchEnvironments: 4,
    ordersPerBatch: 20,
    usersPerBatch: 5,
    batchUsers: 40,
  },
  short: {
    scale: 'short',
    environments: 20,
    users: 50,
    thinkTimeMs: 400,
    publishTimeoutMs: 8_000,
    warmupMs: 1_000,
    holdDownMs: 1_000,
    pauseMs: 7_000,
    outageMs: 3_000,
    coldOutageMs: 3_000,
    idleMs: 8_000,
    successStreak: 10,
    tailMs: 500,
    badBodies: 1_000,
    maxAttempts: 40,
    batchEnvironments: 2,
    ordersPerBatch: 20,
    usersPerBatch: 5,
    batchUsers: 20,
  },
};

export function faultSuiteTiming(): FaultSuiteTiming {
  return TIMINGS[process.env.FAULT_SUITE_SCALE === 'short' ? 'short' : 'full'];
}

/**
 * Slack on a deadline bound: timers fire late on a loaded two-core machine running four JVMs
 * beside the tests. The bound asserted is the handler's own deadline plus this.
 */
export const DEADLINE_SLACK_MS = 500;
