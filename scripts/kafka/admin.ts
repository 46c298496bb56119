import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { scopeMetadataToNamedTopics } from '../../lib/kafka/metadata-scope';
import { stopIdlePolling } from '../../lib/kafka/request-queue';
import { classpath, javaBin, run, seconds, waitFor } from './jvm';

/**
 * Questions and orders for a running Kafka, through kafkajs's admin client (already a
 * dependency): nothing here speaks the wire protocol itself. Preferred-leader elections, which
 * kafkajs lacks, go through Kafka's own LeaderElectionCommand.
 */

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/**
 * One short-lived admin client: a local broker answers in milliseconds or not at all. Like the
 * publisher's clients, it asks metadata only for the topics it names (lib/kafka/metadata-scope.ts),
 * so that a leaderless partition of some other topic cannot fail a broker check; `allTopics` is
 * for the few callers that list every topic (and fail on such a partition, as kafkajs does).
 */
export async function withAdmin<T>(
  bootstrap: string,
  work: (admin: Admin) => Promise<T>,
  timeoutMs = 3_000,
  { allTopics = false }: { allTopics?: boolean } = {},
): Promise<T> {
  stopIdlePolling();
  const client = new Kafka({
    clientId: 'local-kafka',
    brokers: bootstrap.split(','),
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = (allTopics ? client : scopeMetadataToNamedTopics(client)).admin();
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The ids of the brokers that `bootstrap` lists as registered, or undefined when it does not answer. */
export async function registeredBrokers(bootstrap: string, timeoutMs = 2_000): Promise<number[] | undefined> {
  try {
    const cluster = await withAdmin(bootstrap, (admin) => admin.describeCluster(), timeoutMs);
    return cluster.brokers.map((broker) => broker.nodeId);
  } catch {
    return undefined;
  }
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Partitions of a topic, or undefined when it does not exist. */
export async function topicPartitions(bootstrap: string, topic: string): Promise<PartitionState[] | undefined> {
  return withAdmin(bootstrap, async (admin) => {
    const answer = await admin.fetchTopicMetadata({ topics: [topic] }).catch((error: { type?: string }) => {
      if (error.type === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined;
      throw error;
    });
    if (!answer) return undefined;
    const [metadata] = answer.topics;
    return (metadata?.partitions ?? [])
      .map(({ partitionId, leader, replicas, isr }) => ({ partition: partitionId, leader, replicas, isr }))
      .sort((a, b) => a.partition - b.partition);
  });
}

export async function leaderOf(bootstrap: string, topic: string, partition: number): Promise<number> {
  const partitions = await topicPartitions(bootstrap, topic);
  const found = partitions?.find((state) => state.partition === partition);
  if (!found) throw new Error(`${topic} [${partition}] does not exist`);
  return found.leader;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
  timeoutMs?: number;
}

/** Creates a topic unless it exists, and waits until each of its partitions has a leader. */
export async function createTopic(
  bootstrap: string,
  { name, partitions, replicationFactor, configs = {}, timeoutMs = 30_000 }: TopicSpec,
): Promise<{ created: boolean; partitions: number; replicationFactor: number }> {
  let created = false;
  let lastError: unknown;
  const ready = await waitFor(
    async () => {
      try {
        created ||= await withAdmin(
          bootstrap,
          (admin) =>
            admin.createTopics({
              topics: [
                {
                  topic: name,
                  numPartitions: partitions ?? -1,
                  replicationFactor: replicationFactor ?? -1,
                  configEntries: Object.entries(configs).map(([configName, value]) => ({ name: configName, value })),
                },
              ],
            }),
          10_000,
        );
        const state = await topicPartitions(bootstrap, name);
        return state !== undefined && state.length > 0 && state.every((partition) => partition.leader >= 0);
      } catch (error) {
        // Brokers still registering (INVALID_REPLICATION_FACTOR), partitions still without a leader.
        lastError = error;
        return false;
      }
    },
    timeoutMs,
    250,
  );
  const state = ready ? await topicPartitions(bootstrap, name) : undefined;
  if (!state?.[0])
    throw new Error(`Topic ${name} was not ready within ${seconds(timeoutMs)}: ${String(lastError ?? 'partitions without a leader')}`);
  return { created, partitions: state.length, replicationFactor: state[0].replicas.length };
}

/**
 * Moves leadership back to each partition's preferred (first) replica where it is alive and in
 * sync, and waits until the metadata shows it. After a restart the first broker to come back leads
 * everything, and the brokers' own rebalance runs only every 5 minutes: the fault cases need
 * leaders where they expect them. Returns how many partitions were not on their preferred leader.
 */
export async function electPreferredLeaders(bootstrap: string, topics: readonly string[], timeoutMs = 15_000): Promise<number> {
  const pending = async () => {
    const states = await Promise.all(topics.map(async (topic) => (await topicPartitions(bootstrap, topic)) ?? []));
    return states
      .flat()
      .filter(
        (state) => state.replicas.length > 1 && state.leader !== state.replicas[0] && state.isr.includes(state.replicas[0] as number),
      );
  };
  const before = (await pending()).length;
  if (before === 0) return 0;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elect-')), 'partitions.json');
  try {
    const done = await waitFor(
      async () => {
        const partitions = await pending();
        if (partitions.length === 0) return true;
        const wanted = await Promise.all(
          topics.map(async (topic) => ((await topicPartitions(bootstrap, topic)) ?? []).map(({ partition }) => ({ topic, partition }))),
        );
        fs.writeFileSync(file, JSON.stringify({ partitions: wanted.flat() }));
        // Non-zero when some partition needed no election; the metadata is the judge.
        await run(javaBin(), [
          ...['-Xmx128m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', classpath()],
          ...['org.apache.kafka.tools.LeaderElectionCommand', '--bootstrap-server', bootstrap, '--election-type', 'PREFERRED'],
          ...['--path-to-json-file', file],
        ]);
        return (await pending()).length === 0;
      },
      timeoutMs,
      300,
    );
    if (!done) throw new Error(`Preferred leaders of ${topics.join(', ')} not elected within ${seconds(timeoutMs)}`);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  return before;
}
