import { withAdmin } from '../../../scripts/kafka/admin';
import { testKafka } from '../../../scripts/kafka/local-kafka';

/**
 * Broker settings of the fault suite. The idle-connection reaper runs after 5 s instead of 10
 * minutes, so that a warm producer left idle meets closed sockets within a test (the frozen
 * Lambda of case 5).
 */
export const FAULT_CLUSTER_OVERRIDES: Record<string, string> = { 'connections.max.idle.ms': '5000' };
export const IDLE_CONNECTION_REAP_MS = 5_000;

/** Brokers 1 to 3 of the tests' cluster; node 100 is the controller and is never touched. */
export const BROKER_IDS = [1, 2, 3] as const;
export type BrokerId = (typeof BROKER_IDS)[number];

/** Every topic the suite creates starts with this, so a later run can delete what a failed one left. */
export const FAULT_TOPIC_PREFIX = 'faults-';

/** The tests' three-broker cluster (test/setup/kafka-cluster.ts starts it), printing nothing. */
export const cluster = testKafka.quiet();
export const CLUSTER_BOOTSTRAP = cluster.bootstrap(3);

/** Brings every broker back (resumed, started), whatever a failed case left behind. */
export async function allBrokersUp(): Promise<void> {
  for (const id of BROKER_IDS) {
    await cluster.node('resume', id, { brokers: 3 }).catch(() => undefined);
    await cluster.node('start', id, { brokers: 3 });
  }
}

/**
 * A fresh topic: replication factor 3 and min.insync.replicas 2, as Kafka's own replication
 * system test uses, with its preferred leaders spread over the three brokers. Its records carry
 * the broker's append time (LogAppendTime), so the checker can tell when a record whose request
 * was answered 504 was actually written (the publisher's receipts then carry that time too).
 */
export async function createFaultTopic(name: string, partitions = 3): Promise<string> {
  const topic = `${FAULT_TOPIC_PREFIX}${name}-${Date.now()}`;
  const configs = { 'min.insync.replicas': '2', 'message.timestamp.type': 'LogAppendTime' };
  await cluster.createTopic({ name: topic, partitions, replicationFactor: 3, configs }, 3);
  await cluster.electPreferredLeaders([topic]);
  return topic;
}

/**
 * Waits until every broker is registered and every partition of the topic has all three
 * replicas in sync and its preferred leader, so that a case starts (and is checked) on a whole
 * cluster.
 */
export async function waitUntilHealthy(topic: string, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const brokers = await withAdmin(CLUSTER_BOOTSTRAP, async (admin) => (await admin.describeCluster()).brokers.length);
      const partitions = (await cluster.topicPartitions(topic, 3)) ?? [];
      const whole =
        brokers === BROKER_IDS.length &&
        partitions.length > 0 &&
        partitions.every((partition) => partition.isr.length === 3 && partition.leader === partition.replicas[0]);
      if (whole) return;
      last = JSON.stringify({ brokers, partitions });
      if (brokers === BROKER_IDS.length) await cluster.electPreferredLeaders([topic], 3, 5_000);
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > until) throw new Error(`The cluster did not become whole for ${topic} within ${timeoutMs} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * A broker that is a replica of every partition in the cluster, other than `avoid` when there is
 * a choice: it keeps every partition led while the two others are down, even with topics of
 * replication factor 2 that other suites leave in the cluster, so that case 4 is about our topic
 * and not about a neighbour (case 7 is that one).
 */
export async function brokerInEveryReplicaSet(avoid: number): Promise<BrokerId> {
  const replicaSets = await withAdmin(
    CLUSTER_BOOTSTRAP,
    async (admin) => (await admin.fetchTopicMetadata()).topics.flatMap((topic) => topic.partitions.map((partition) => partition.replicas)),
    undefined,
    { allTopics: true },
  );
  const candidates = BROKER_IDS.filter((id) => replicaSets.every((replicas) => replicas.includes(id)));
  const chosen = candidates.find((id) => id !== avoid) ?? candidates[0];
  if (chosen === undefined)
    throw new Error('No broker holds a replica of every partition; two brokers down would leave some partition leaderless');
  return chosen;
}

/** Deletes topics this suite left behind (only those with its prefix). */
export async function deleteFaultTopics(only?: string[]): Promise<void> {
  await withAdmin(
    CLUSTER_BOOTSTRAP,
    async (admin) => {
      const topics = only ?? (await admin.listTopics()).filter((topic) => topic.startsWith(FAULT_TOPIC_PREFIX));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    },
    30_000,
    { allTopics: true },
  );
}
