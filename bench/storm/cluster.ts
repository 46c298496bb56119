import fs from 'node:fs';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { stopIdlePolling } from '../../lib/kafka/request-queue';
import { type PartitionState, topicPartitions, withAdmin } from '../../scripts/kafka/admin';
import { runningPid, signalProcess, waitFor } from '../../scripts/kafka/jvm';
import type { LocalKafka } from '../../scripts/kafka/local-kafka';
import { DEFAULT_PARTITIONS, DEFAULT_TOPIC, HOST, type Instance, instanceFromEnv } from '../../scripts/kafka/topology';
import type { BrokerLimits } from './flags';

/**
 * The storm's own three-broker cluster: its own ports (offset 3000: brokers on 22092, 22192,
 * 22292, their client listeners on 22095, 22195, 22295) and folder (.kafka-storm/), so that it
 * never touches the developer's instance (offset 0) or the tests' (offset 1000). Clients get a
 * listener of their own, CLIENT, and the connection limits are set on it alone: replication and
 * the scripts' admin clients stay on PLAINTEXT, unthrottled, as MSK's inter-broker traffic is.
 */
export function stormInstance(env: NodeJS.ProcessEnv = process.env): Instance {
  return { ...instanceFromEnv(env, 'KAFKA_STORM', { stateDir: '.kafka-storm', portOffset: 3000 }), clientListener: true };
}

/** A clear error, printed without a stack: the cause is in its message. */
export class ClusterStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClusterStartError';
  }
}

export interface StormCluster {
  kafka: LocalKafka;
  version: string;
  /** PLAINTEXT: replication and tools. */
  bootstrap: string;
  /** CLIENT: the environments' KAFKA_BROKERS, in broker order (kafkajs seeds from the first). */
  clientBootstrap: string;
  brokers: { id: number; port: number }[];
  topic: string;
  /** The topic's partitions: leader, replicas and ISR, now. */
  partitions(): Promise<PartitionState[]>;
  /** Resident memory of each broker's JVM now, in MiB. */
  brokerRssMb(): Record<string, number>;
  /** CPU time of all the cluster's JVMs (controller included) since they started, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * Starts the cluster with the limits (restarting one left running, so that every run has fresh
 * JVMs and its own limits), and checks the topic: 3 partitions, each replicated 3 times, with
 * min.insync.replicas 2 (the cluster's default). Registers nothing: the caller stops it.
 */
export async function startStormCluster(kafka: LocalKafka, limits: BrokerLimits, say: (line: string) => void): Promise<StormCluster> {
  const topo = kafka.topology(3);
  if (kafka.runs(topo)) {
    say('A storm cluster was left running (an interrupted run?): stopping it first');
    await kafka.stop({ brokers: 3 });
  }
  const started = await kafka.start({ brokers: 3, overrides: limits.brokerConfig, restart: true, topic: DEFAULT_TOPIC }).catch((error) => {
    throw new ClusterStartError(
      `The storm's Kafka cluster (controller and 3 brokers, state in ${topo.dir}) did not start: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  const brokerNodes = topo.nodes.filter((node) => node.clientPort !== undefined);
  const brokers = brokerNodes.map((node) => ({ id: node.id, port: node.clientPort as number }));
  // After a restart, a broker still catching up is not in the ISR, and the start's election skips
  // it: it would lead nothing, and the storm would see two brokers. Once every replica is in sync,
  // each partition goes back to its preferred leader: one partition led by each broker.
  const inSync = await waitFor(
    async () => ((await topicPartitions(topo.bootstrap, DEFAULT_TOPIC)) ?? []).every((partition) => partition.isr.length === 3),
    30_000,
    250,
  );
  if (!inSync) say(`Some replicas of ${DEFAULT_TOPIC} are still not in sync after 30 s`);
  await kafka.electPreferredLeaders([DEFAULT_TOPIC], 3);
  const partitions = await topicPartitions(topo.bootstrap, DEFAULT_TOPIC);
  const replicas = partitions?.[0]?.replicas.length ?? 0;
  if (partitions?.length !== DEFAULT_PARTITIONS || replicas !== 3) {
    throw new Error(
      `Topic ${DEFAULT_TOPIC} on the storm cluster has ${partitions?.length ?? 0} partitions of ${replicas} replicas, not 3 of 3`,
    );
  }
  const minInsync = await withAdmin(topo.bootstrap, async (admin) => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: DEFAULT_TOPIC, configNames: ['min.insync.replicas'] }],
      includeSynonyms: false,
    });
    return resources[0]?.configEntries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue;
  });
  if (minInsync !== '2') throw new Error(`Topic ${DEFAULT_TOPIC} on the storm cluster has min.insync.replicas ${minInsync}, not 2`);
  const warmed = await warmUp(topo.bootstrap, DEFAULT_TOPIC);
  if (warmed.missing.length > 0)
    say(`Warm-up: no producer id from ${warmed.missing.join(', ')} within 30 s; its first cold starts may wait for one`);
  return {
    kafka,
    version: started.version,
    bootstrap: topo.bootstrap,
    clientBootstrap: brokers.map(({ port }) => `${HOST}:${port}`).join(','),
    brokers,
    topic: DEFAULT_TOPIC,
    partitions: async () => (await topicPartitions(topo.bootstrap, DEFAULT_TOPIC)) ?? [],
    brokerRssMb: () =>
      Object.fromEntries(
        brokerNodes.map((node) => {
          const pid = runningPid(topo, node);
          const rss = pid ? /VmRSS:\s+(\d+) kB/.exec(readOrEmpty(`/proc/${pid}/status`))?.[1] : undefined;
          return [String(node.id), rss ? Math.round(Number(rss) / 1024) : Number.NaN];
        }),
      ),
    cpuSeconds: () => {
      // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
      let ticks = 0;
      for (const node of topo.nodes) {
        const pid = runningPid(topo, node);
        const fields = pid ? readOrEmpty(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') : undefined;
        if (fields) ticks += Number(fields[11]) + Number(fields[12]);
      }
      return ticks / 100;
    },
    stop: async () => {
      await kafka.stop({ brokers: 3 });
    },
  };
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** SIGKILL to every JVM of the storm cluster, without waiting: a second Ctrl-C. */
export function killStormCluster(kafka: LocalKafka): void {
  const topo = kafka.topology(3);
  for (const node of topo.nodes) {
    const pid = runningPid(topo, node);
    if (pid) signalProcess(pid, 'SIGKILL');
  }
}

/**
 * A fresh cluster is not the one a fleet meets. Each broker asks the controller for a block of
 * producer ids on its first InitProducerId, and answers COORDINATOR_LOAD_IN_PROGRESS until it has
 * one (kafkajs retries); a long-running cluster has its blocks. So idempotent producers connect on
 * PLAINTEXT (not measured, not limited) and send one record each, until every broker has given
 * out a producer id: kafkajs asks the broker that the metadata names as controller, which a KRaft
 * cluster picks at random in each answer. Returns the brokers that never did.
 */
async function warmUp(bootstrap: string, topic: string, timeoutMs = 30_000): Promise<{ missing: string[] }> {
  stopIdlePolling();
  const brokers = bootstrap.split(',');
  const warm = new Set<string>();
  const kafka = new Kafka({ clientId: 'storm-warm-up', brokers, logLevel: logLevel.NOTHING });
  const until = Date.now() + timeoutMs;
  for (let round = 0; warm.size < brokers.length && Date.now() < until; round++) {
    await Promise.all(
      brokers.map(async (_, index) => {
        const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
        let servedBy: string | undefined;
        producer.on(producer.events.REQUEST, ({ payload }) => {
          if (payload.apiName === 'InitProducerId') servedBy = payload.broker;
        });
        try {
          await producer.connect();
          if (servedBy) warm.add(servedBy);
          await producer.send({ topic, acks: -1, messages: [{ key: `storm-warm-up-${round}-${index}`, value: 'warm-up' }] });
        } catch {
          // Another round.
        } finally {
          await producer.disconnect().catch(() => undefined);
        }
      }),
    );
  }
  return { missing: brokers.filter((broker) => !warm.has(broker)) };
}
