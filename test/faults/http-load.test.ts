import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { type OfflineServer, startOffline } from '../support/offline';
import { checkTopic, NO_VIOLATIONS, readWholeTopic, violations } from './support/checker';
import { CLUSTER_BOOTSTRAP, createFaultTopic, deleteFaultTopics, waitUntilHealthy } from './support/fault-cluster';
import { runHttpLoad } from './support/http-load';
import { type Invocation, isSuccess, userIds } from './support/load';
import { failureReasons, summaryTable } from './support/summary';

/**
 * A steady load over real HTTP, through serverless-offline (one warm Lambda worker per
 * concurrent request), for 60 s; then Kafka's Java consumer reads the topic back and the checker finds every
 * acknowledged order exactly once, in order per user. Only in `npm run test:faults`.
 */
const CONNECTIONS = 20;
const USERS = userIds(50);
/**
 * Requests per second to hold: about half of what this two-core machine serves (about 270/s
 * flat out, with the cluster and serverless-offline on the same cores), and a multiple of the
 * connections, as autocannon paces each connection by whole requests a second.
 */
const RATE = Number(process.env.FAULTS_HTTP_RATE ?? 140);
const DURATION_SECONDS = Number(process.env.FAULTS_HTTP_SECONDS ?? 60);
/**
 * Before the measured run, connections ramp up 5, 10, 20 (3 s each), so that serverless-offline
 * starts its Lambda workers a few at a time: twenty cold workers at once on two cores take longer
 * than the function's 12 s timeout, which serverless-offline (unlike Lambda) counts from before
 * the worker loads the handler, and answers 504 itself.
 */
const WARM_UP_STAGES = [5, 10, 20];
const WARM_UP_STAGE_SECONDS = 3;

/** Answers per second, from the first request sent to the last answer received. */
function heldRate(invocations: readonly Invocation[]): number {
  const first = Math.min(...invocations.map((invocation) => invocation.sentAt));
  const last = Math.max(...invocations.map((invocation) => invocation.receivedAt));
  return invocations.length / ((last - first) / 1000);
}

let server: OfflineServer | undefined;
let topic: string;
let dynamo: LocalDynamoDb | undefined;

beforeAll(async () => {
  topic = await createFaultTopic('http-load');
  await waitUntilHealthy(topic);
  // The idempotency store, as npm run dev has it: every request carries a key.
  dynamo = await startLocalDynamoDb();
  server = await startOffline({
    env: dynamo.env,
    port: Number(process.env.FAULTS_OFFLINE_HTTP_PORT ?? 3300),
    brokers: CLUSTER_BOOTSTRAP,
    topic,
    esbuildWorkFolder: '.esbuild-faults',
  });
});

afterAll(async () => {
  await server?.stop();
  await dynamo?.close();
  if (topic) await deleteFaultTopics([topic]).catch(() => undefined);
});

describe('a steady load over HTTP through serverless-offline', () => {
  // The rate the machine held is printed, not asserted: speed is the bench's to measure.
  it(`sends ${Math.round(RATE * DURATION_SECONDS)} orders at up to ${RATE}/s on ${CONNECTIONS} connections; every one is answered 2xx, none lost or duplicated`, async () => {
    const baseUrl = (server as OfflineServer).baseUrl;
    const common = { baseUrl, rate: RATE, users: USERS, orderIdPrefix: 'http' };
    // Prepare: Lambda workers started and their producers connected, outside the measurement.
    const warmUp: Invocation[] = [];
    for (const connections of WARM_UP_STAGES) {
      const stage = await runHttpLoad({ ...common, connections, durationSeconds: WARM_UP_STAGE_SECONDS, firstSeq: warmUp.length });
      warmUp.push(...stage.invocations);
    }
    // Act
    const { result, invocations } = await runHttpLoad({
      ...common,
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      firstSeq: warmUp.length,
    });
    // Assess: every order of the warm-up and the run, against the topic.
    const all = [...warmUp, ...invocations];
    const check = checkTopic(all, await readWholeTopic(topic));
    const { latency, requests } = result;
    console.log(
      [
        summaryTable([{ name: `HTTP load ${DURATION_SECONDS} s (after a warm-up)`, check, recoverySeconds: null }]),
        `warm-up: ${warmUp.length} requests, ${warmUp.filter((invocation) => !isSuccess(invocation.status)).length} not 2xx`,
        failureReasons(all),
        `rate held: ${heldRate(invocations).toFixed(1)} req/s from the first request sent to the last answer (asked ${RATE}); autocannon: ${requests.total} requests, ${requests.average.toFixed(1)} req/s on average per second, ` +
          `2xx ${result['2xx']}, non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
        `latency ms: p50 ${latency.p50}, p90 ${latency.p90}, p97.5 ${latency.p97_5}, p99 ${latency.p99}, p99.9 ${latency.p99_9}, max ${latency.max}, mean ${latency.mean.toFixed(1)}`,
        ...check.problems.slice(0, 30),
      ].join('\n'),
    );
    expect(violations(check), check.problems.slice(0, 30).join('\n')).toEqual(NO_VIOLATIONS);
    expect({ errors: result.errors, timeouts: result.timeouts, noAnswer: check.noAnswer }).toEqual({ errors: 0, timeouts: 0, noAnswer: 0 });
    // With no fault injected, every request of the measured run is acknowledged.
    expect(invocations.filter((invocation) => !isSuccess(invocation.status))).toEqual([]);
    expect(invocations.length).toBe(Math.round(RATE * DURATION_SECONDS));
  });
});
