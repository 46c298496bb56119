// Types for scripts/kafka.mjs (local Apache Kafka without Docker). See the header of kafka.mjs.

/** 1 = single KRaft node (broker+controller) on 127.0.0.1:9092 (SCRAM on 9094); 3 = controller 100 + brokers 1..3. */
export type BrokerCount = 1 | 3;

export type NodeAction = 'stop' | 'kill' | 'pause' | 'resume' | 'start';

/** Extra broker properties: an object, "k=v" strings, or "k=v,k2=v2" (as KAFKA_NODE_OVERRIDES). */
export type Overrides = Record<string, string | number | boolean> | string[] | string;

export interface StartOptions {
  /** Default 1. */
  brokers?: BrokerCount;
  /** Added to every node's server.properties (after KAFKA_NODE_OVERRIDES), e.g. { 'connections.max.idle.ms': '5000' }. */
  overrides?: Overrides;
  /** Restart the mode's nodes when they already run with different overrides (default: keep them, warn). */
  restartIfOverridesDiffer?: boolean;
  /** Topic created idempotently once ready. Default KAFKA_TOPIC or 'order-events'. */
  topic?: string;
  /** Default KAFKA_TOPIC_PARTITIONS or 3. */
  partitions?: number;
  /** Default: the number of brokers (1 or 3). */
  replicationFactor?: number;
  /** Readiness bound. Default KAFKA_START_TIMEOUT_MS or 60000. */
  timeoutMs?: number;
  /** No console output. */
  quiet?: boolean;
}

export interface StartResult {
  /** '127.0.0.1:9092' or '127.0.0.1:19092,127.0.0.1:19192,127.0.0.1:19292'. */
  bootstrap: string;
  /** false when it was already running (stop it only if this is true). */
  startedByUs: boolean;
  brokers: BrokerCount;
  /** Kafka version of the jars, e.g. '4.1.1'. */
  version: string;
  elapsedMs: number;
  topic: string;
  /** Overrides the running nodes were started with ({} for a Kafka not started by this script). */
  overrides: Record<string, string>;
}

export interface StopOptions {
  /** Omitted: stop everything this script started (single and cluster). */
  brokers?: BrokerCount;
  /** Per node, before SIGKILL. Default 30000. */
  timeoutMs?: number;
  quiet?: boolean;
}

export interface NodeControlOptions {
  /** Default: 3 when the node id exists only in cluster mode or cluster JVMs run, else 1. */
  brokers?: BrokerCount;
  /** Bound for start/resume readiness. Default 60000. */
  timeoutMs?: number;
  /** resume: wait until the node answers again (default true). */
  wait?: boolean;
  /** stop/kill of a broker: also wait until the other brokers' metadata no longer lists it. */
  waitFenced?: boolean;
  quiet?: boolean;
}

export interface AddressOptions {
  /** Which local topology to address (default: cluster if its JVMs run, else single). */
  brokers?: BrokerCount;
  /** Explicit bootstrap list, overrides `brokers`. */
  bootstrap?: string;
}

export interface BrokerMetadata {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionMetadata {
  errorCode: number;
  partition: number;
  /** -1 when the partition has no leader (e.g. its only replica is down). */
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicMetadata {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  /** Registered, unfenced brokers. */
  brokers: BrokerMetadata[];
  clusterId: string | null;
  controllerId: number;
  topics: TopicMetadata[];
  /** The bootstrap address that answered. */
  via: string;
}

export interface CreateTopicOptions extends AddressOptions {
  name: string;
  /** Default: the cluster's num.partitions (3). */
  partitions?: number;
  /** Default: the cluster's default.replication.factor (1 single, 3 cluster). */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'min.insync.replicas': '1' }. */
  configs?: Overrides;
  timeoutMs?: number;
}

export interface CreateTopicResult {
  /** false when it already existed (a differing partition count / RF only prints a warning). */
  created: boolean;
  partitions: number;
  replicationFactor: number;
}

export interface NodeStatus {
  mode: 'single' | 'cluster';
  nodeId: number;
  roles: string;
  port: number | null;
  /** SASL_PLAINTEXT / SCRAM-SHA-512 client port (single mode only). */
  scramPort: number | null;
  controllerPort: number | null;
  pid: number | null;
  paused: boolean;
  answering: boolean;
}

export interface NodeLayout {
  id: number;
  roles: string;
  port?: number;
  /** SASL_PLAINTEXT / SCRAM-SHA-512 client port (single mode only). */
  scramPort?: number;
  controllerPort?: number;
}

export interface Topology {
  mode: 'single' | 'cluster';
  brokers: BrokerCount;
  voters: string;
  heap: string[];
  nodes: NodeLayout[];
}

export const DEFAULT_TOPIC: string;
export const DEFAULT_PARTITIONS: number;
export const SINGLE_BOOTSTRAP: string;
export const CLUSTER_BOOTSTRAP: string;
/**
 * Single mode's SASL_PLAINTEXT listener, SCRAM-SHA-512 only: '127.0.0.1:9094' (+ KAFKA_PORT_OFFSET).
 * kafkajs: { brokers: [SCRAM_BOOTSTRAP], sasl: { mechanism: 'scram-sha-512', username: SCRAM_USERNAME,
 * password: SCRAM_PASSWORD } } (no ssl: unlike MSK, TLS is off locally). Only a Kafka started by
 * kafka.mjs has it; librdkafka (kcat) needs >= 2.6.1 to authenticate to Kafka 4.x.
 */
export const SCRAM_BOOTSTRAP: string;
/** 'order-publisher': created when single mode's storage is formatted; may produce (no ACLs). */
export const SCRAM_USERNAME: string;
/** 'local-scram-password'. */
export const SCRAM_PASSWORD: string;
export const TOPOLOGIES: { single: Topology; cluster: Topology };

/** Start Kafka (a no-op when it already answers) and create the default topic. */
export function startKafka(opts?: StartOptions): Promise<StartResult>;

/** Clean stop (SIGTERM, SIGKILL after the timeout). Resolves with the ids of the stopped nodes. */
export function stopKafka(opts?: StopOptions): Promise<number[]>;

/**
 * Fault control of one node: stop = SIGTERM and wait; kill = SIGKILL; pause = SIGSTOP;
 * resume = SIGCONT (and wait until it answers); start = restart on its existing data and wait
 * until it is registered.
 */
export function nodeControl(action: NodeAction, nodeId: number, opts?: NodeControlOptions): Promise<void>;

/** Leader node id of a partition, -1 when it has none. Rejects when the topic does not exist. */
export function leaderOf(topic: string, partition: number, opts?: AddressOptions): Promise<number>;

/** true when a metadata request is answered (all: every broker of the topology is registered). */
export function brokersReachable(opts?: AddressOptions & { all?: boolean; timeoutMs?: number }): Promise<boolean>;

/** Create a topic idempotently and wait until every partition has a leader. */
export function createTopic(opts: CreateTopicOptions): Promise<CreateTopicResult>;

/** Partition metadata of a topic, or null when it does not exist. */
export function describeTopic(topic: string, opts?: AddressOptions): Promise<TopicMetadata | null>;

/** Brokers, controller and the given topics (default none; null = all topics). */
export function clusterMetadata(opts?: AddressOptions & { topics?: string[] | null }): Promise<ClusterMetadata>;

/**
 * Preferred-replica leader election for partitions (of `topics`, default all non-internal) whose
 * first replica is alive but not leading; waits until metadata shows it. Resolves with how many
 * partitions it moved. startKafka does this for its topic in cluster mode; call it after
 * nodeControl('start', id) to give the restarted broker its leaderships back.
 */
export function electPreferredLeaders(opts?: AddressOptions & { topics?: string[]; timeoutMs?: number }): Promise<number>;

/** Which nodes of both modes run. */
export function kafkaStatus(): Promise<NodeStatus[]>;
