import type { Kafka } from 'kafkajs';
import { type InternalBroker, type InternalCluster, internalCluster } from '../../lib/kafka/cluster';
import { describeKafkaError } from '../../lib/kafka/errors';
import type { FetchedMessage } from './format';

export interface FollowOptions {
  topic: string;
  fromBeginning: boolean;
  signal: AbortSignal;
  /** Once every partition has its starting offset: what is published from now on is shown. */
  onReady(partitions: number): void;
  /** Awaited when it returns a promise (a framed value's schema fetched from the registry), so that records stay in order. */
  onRecord(partition: number, message: FetchedMessage): void | Promise<void>;
  /** A failed round (tried again on fresh connections and metadata), and the recovery: said once each. */
  onNotice(message: string): void;
  /** Waits while the output is full, so that a slow reader of it holds back the fetches. */
  drained?(): Promise<void> | undefined;
}

const CONSUMER_REPLICA_ID = -1;
const READ_UNCOMMITTED = 0;
const LATEST = -1;
const EARLIEST = -2;
/** How long the broker holds a fetch with nothing new: the latency of an idle tail, and of Ctrl-C. */
const FETCH_WAIT_MS = 250;
const FETCH_BYTES = 1 << 20;
const RETRY_MS = 1_000;

type FetchedPartition = Awaited<ReturnType<InternalBroker['fetch']>>['responses'][number]['partitions'][number] & {
  partition: number;
  messages: (FetchedMessage & { isControlRecord?: boolean })[];
};

/**
 * Reads every partition of a topic from its end (or its start) onwards, as a consumer would, until
 * `signal` aborts. It joins no consumer group: kafkajs 2.2.4's consumer always joins one, which
 * costs group.initial.rebalance.delay.ms (3 s by default) at start and leaves a group behind. Like
 * the record finder, it fetches through kafkajs's own cluster and brokers.
 */
export async function follow(kafka: Kafka, options: FollowOptions): Promise<void> {
  const { topic, signal } = options;
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  let cluster: InternalCluster | undefined;
  const open = async () => {
    const fresh = internalCluster(kafka);
    cluster = fresh;
    await fresh.connect();
    await fresh.addTargetTopic(topic);
    return fresh;
  };
  let failing: string | undefined;
  /**
   * Runs `step` until it succeeds (true) or Ctrl-C (false). After a failure it starts on a new
   * cluster, with fresh metadata and connections: one cluster retrying a broker that is down
   * piles listeners onto its dead socket (kafkajs's Connection.disconnect calls socket.unref(),
   * which waits for a 'connect' that never comes), and Node warns of a leak.
   */
  const retrying = async (step: (current: InternalCluster) => Promise<void>): Promise<boolean> => {
    while (!signal.aborted) {
      // An attempt abandoned on Ctrl-C ends when disconnect() closes its sockets: nothing waits for it.
      const attempt = (cluster ? Promise.resolve(cluster) : open()).then(step);
      attempt.catch(() => undefined);
      try {
        await Promise.race([attempt, stopped]);
        if (failing !== undefined && !signal.aborted) options.onNotice(`reading ${topic} again`);
        failing = undefined;
        return !signal.aborted;
      } catch (error) {
        if (signal.aborted) break;
        if (!retriable(error)) throw error;
        const problem = describeKafkaError(error);
        if (problem !== failing) options.onNotice(`${problem}; trying again every ${RETRY_MS / 1000} s`);
        failing = problem;
        await cluster?.disconnect().catch(() => undefined);
        cluster = undefined;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, RETRY_MS)), stopped]);
      }
    }
    return false;
  };
  try {
    // Not retried: a wrong address or topic is better said at once.
    const opening = open();
    opening.catch(() => undefined);
    await Promise.race([opening, stopped]);
    if (signal.aborted || !cluster) return;
    const partitions = cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => partitionId);
    if (partitions.length === 0) throw new Error(`Topic ${topic} has no partitions`);
    // The next offset to read of each partition, as its leader tells where to start.
    const next = new Map<number, number>();
    const timestamp = options.fromBeginning ? EARLIEST : LATEST;
    const started = await retrying((current) =>
      perLeader(current, topic, partitions, async (broker, led) => {
        const answer = await broker.listOffsets({
          replicaId: CONSUMER_REPLICA_ID,
          isolationLevel: READ_UNCOMMITTED,
          topics: [{ topic, partitions: led.map((partition) => ({ partition, timestamp })) }],
        });
        for (const { partition, offset } of answer.responses[0]?.partitions ?? []) next.set(partition, Number(offset));
      }),
    );
    if (!started) return;
    options.onReady(partitions.length);
    while (
      await retrying((current) => perLeader(current, topic, partitions, (broker, led) => fetchOnce(broker, topic, led, next, options)))
    ) {
      await Promise.race([options.drained?.(), stopped]);
    }
  } finally {
    await cluster?.disconnect().catch(() => undefined);
  }
}

/**
 * Runs `work` on each leader for the partitions it leads (one request each, as a consumer does),
 * and fails after all have finished, so that none is left to print behind the next round.
 */
async function perLeader(
  cluster: InternalCluster,
  topic: string,
  partitions: number[],
  work: (broker: InternalBroker, led: number[]) => Promise<void>,
): Promise<void> {
  const byLeader = Object.entries(cluster.findLeaderForPartitions(topic, partitions));
  const outcomes = await Promise.allSettled(byLeader.map(async ([leader, led]) => work(await cluster.findBroker({ nodeId: leader }), led)));
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

async function fetchOnce(broker: InternalBroker, topic: string, partitions: number[], next: Map<number, number>, options: FollowOptions) {
  const response = await broker.fetch({
    replicaId: CONSUMER_REPLICA_ID,
    isolationLevel: READ_UNCOMMITTED,
    maxWaitTime: FETCH_WAIT_MS,
    minBytes: 1,
    maxBytes: FETCH_BYTES,
    topics: [
      {
        topic,
        partitions: partitions.map((partition) => ({ partition, fetchOffset: String(next.get(partition)), maxBytes: FETCH_BYTES })),
      },
    ],
  });
  for (const { partition, messages } of (response.responses[0]?.partitions ?? []) as FetchedPartition[]) {
    for (const message of messages) {
      // A fetch answers with whole batches: the first may start before the offset asked for.
      const offset = Number(message.offset);
      if (offset < (next.get(partition) ?? 0)) continue;
      next.set(partition, offset + 1);
      // Transaction markers take an offset but are no record (kafkajs's consumer skips them too).
      if (!message.isControlRecord) await options.onRecord(partition, message);
    }
  }
}

/**
 * Worth another round: a moved leader, a broker down or restarting, stale metadata. Not what no
 * retry changes: OFFSET_OUT_OF_RANGE after the log was truncated or the topic recreated, an
 * authorisation failure, a batch compressed with a codec kafkajs lacks, a bug of ours. kafkajs
 * says which is which on its errors; the innermost one counts (it wraps the last attempt's
 * error in KafkaJSNumberOfRetriesExceeded, which is never retriable).
 */
function retriable(error: unknown): boolean {
  let current = error as { name?: string; retriable?: boolean; cause?: unknown };
  while (current.cause !== undefined && current.cause !== current) current = current.cause as typeof current;
  return (current.name?.startsWith('KafkaJS') ?? false) && current.retriable === true;
}
