import fs from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import {
  CLUSTER_BOOTSTRAP,
  clusterMetadata,
  createTopic,
  describeTopic,
  electPreferredLeaders,
  kafkaStatus,
  nodeControl,
  type Overrides,
  startKafka,
  stopKafka,
} from '../../../scripts/kafka.mjs';

/**
 * Broker settings of the fault suite. The idle-connection reaper runs after 5 s instead of 10
 * minutes, so that a warm producer left idle meets closed sockets within a test (the frozen
 * Lambda of case 5).
 */
export const FAULT_CLUSTER_OVERRIDES: Record<string, string> = { 'connections.max.idle.ms': '5000' };
export const IDLE_CONNECTION_REAP_MS = 5_000;

/** Brokers 1 to 3 of the local cluster; node 100 is the controller and is never touched. */
export const BROKER_IDS = [1, 2, 3] as const;
export type BrokerId = (typeof BROKER_IDS)[number];

/** Every topic the suite creates starts with this, so a later run can delete what a failed one left. */
export const FAULT_TOPIC_PREFIX = 'faults-';

const quiet = { brokers: 3 as const, quiet: true };

/**
 * The local three-broker cluster with the suite's overrides: started if it is down, restarted if
 * it runs with other overrides, a no-op when it already runs with them.
 */
export async function ensureFaultCluster(): Promise<void> {
  await startKafka({ ...quiet, overrides: FAULT_CLUSTER_OVERRIDES, restartIfOverridesDiffer: true });
}

export interface ClusterBefore {
  running: boolean;
  overrides: Record<string, string>;
  /** Started by another global setup of this same vitest run, which stops it at the end. */
  startedByThisRun: boolean;
}

/** When a process started, in clock ticks since boot (/proc/<pid>/stat, field 22); undefined off Linux. */
function processStartTicks(pid: number | 'self'): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** Whether the cluster ran before the suite, and with which overrides, to leave it as it was found. */
export async function clusterBefore(): Promise<ClusterBefore> {
  const nodes = (await kafkaStatus()).filter((node) => node.mode === 'cluster' && node.pid !== null);
  if (nodes.length === 0) return { running: false, overrides: {}, startedByThisRun: false };
  // A no-op on a running cluster (no overrides asked for, none applied): it reports the running ones.
  const { overrides } = await startKafka({ brokers: 3, quiet: true });
  // In `npm test` the cluster project's setup has just started it, and stops it at the end.
  const vitestStarted = processStartTicks('self');
  const startedByThisRun = nodes.every((node) => {
    const started = processStartTicks(node.pid as number);
    return vitestStarted !== undefined && started !== undefined && started >= vitestStarted;
  });
  return { running: true, overrides, startedByThisRun };
}

/**
 * Leaves the cluster as the suite found it: stopped if it was not running, restarted with its
 * own overrides if it ran before this run, and as it is if another setup of this run started
 * it (that setup stops it).
 */
export async function restoreCluster(before: ClusterBefore): Promise<void> {
  if (!before.running) {
    await stopKafka({ brokers: 3, quiet: true });
    return;
  }
  if (before.startedByThisRun) return;
  const overrides: Overrides = before.overrides;
  await startKafka({ ...quiet, overrides, restartIfOverridesDiffer: true });
}

/** Brings every broker back (resumed, started), whatever a failed case left behind. */
export async function allBrokersUp(): Promise<void> {
  for (const id of BROKER_IDS) {
    await nodeControl('resume', id, quiet).catch(() => undefined);
    await nodeControl('start', id, quiet);
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
  await createTopic({ brokers: 3, name: topic, partitions, replicationFactor: 3, configs });
  await electPreferredLeaders({ brokers: 3, topics: [topic] });
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
      const metadata = await clusterMetadata({ brokers: 3 });
      const described = await describeTopic(topic, { brokers: 3 });
      const partitions = described?.partitions ?? [];
      const whole =
        metadata.brokers.length === BROKER_IDS.length &&
        partitions.length > 0 &&
        partitions.every((partition) => partition.isr.length === 3 && partition.leader === partition.replicas[0]);
      if (whole) return;
      last = JSON.stringify({ brokers: metadata.brokers.map((broker) => broker.nodeId), partitions });
      if (metadata.brokers.length === BROKER_IDS.length) await electPreferredLeaders({ brokers: 3, topics: [topic], timeoutMs: 5_000 });
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > until) throw new Error(`The cluster did not become whole for ${topic} within ${timeoutMs} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * A broker that is a replica of every partition in the cluster, other than `avoid` when there is
 * a choice. kafkajs 2.2.4 cannot connect an idempotent producer while any partition of any topic
 * has no leader (README, "Known limits"); a broker that holds a replica of everything keeps every
 * partition led while the two others are down, even with topics of replication factor 2 that
 * other suites leave in the cluster.
 */
export async function brokerInEveryReplicaSet(avoid: number): Promise<BrokerId> {
  const metadata = await clusterMetadata({ brokers: 3, topics: null });
  const candidates = BROKER_IDS.filter((id) =>
    metadata.topics.every((topic) => topic.partitions.every((partition) => partition.replicas.includes(id))),
  );
  const chosen = candidates.find((id) => id !== avoid) ?? candidates[0];
  if (chosen === undefined)
    throw new Error('No broker holds a replica of every partition; two brokers down would leave some partition leaderless');
  return chosen;
}

/** Deletes topics this suite left behind (only those with its prefix). */
export async function deleteFaultTopics(only?: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'faults-admin', brokers: CLUSTER_BOOTSTRAP.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = only ?? (await admin.listTopics()).filter((topic) => topic.startsWith(FAULT_TOPIC_PREFIX));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}
