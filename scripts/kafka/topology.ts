import path from 'node:path';

/**
 * Where each node of a local Kafka listens, where it keeps its state, and how it is configured.
 * One clone runs two instances that never share a port or a folder: the developer's (`npm run
 * dev`, `npm run kafka`) and the tests' own, so that `npm test` never touches the dev broker.
 */

export const ROOT = path.resolve(__dirname, '../..');
export const HOST = '127.0.0.1';
export const DEFAULT_TOPIC = 'order-events';
export const DEFAULT_PARTITIONS = 3;
/** The jars Maven resolves from pom.xml: once per clone, shared by both instances. */
export const LIBS_DIR = path.join(ROOT, '.kafka', 'libs');

/**
 * The single node's SASL_PLAINTEXT listener, so that the MSK SCRAM code path runs against a real
 * broker. The user is written into the metadata log when the storage is formatted.
 */
export const SCRAM = { mechanism: 'SCRAM-SHA-512', username: 'order-publisher', password: 'local-scram-password' } as const;

export interface Instance {
  stateDir: string;
  /** Added to every port. */
  portOffset: number;
  /** JVMs that start on half the CPU (C1 only), for lower peak throughput: the tests' brokers restart often and are not benchmarked. */
  quickStart?: boolean;
  /**
   * A listener of the clients' own on each broker (CLIENT, plaintext, on the broker's port + 3),
   * beside PLAINTEXT, which replication and the scripts keep: connection limits set on it with the
   * `listener.name.client.` prefix throttle clients only, as MSK's client listeners are (npm run storm).
   */
  clientListener?: boolean;
}

export function instanceFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  prefix = 'KAFKA',
  defaults = { stateDir: '.kafka', portOffset: 0 },
): Instance {
  const offsetVariable = `${prefix}_PORT_OFFSET`;
  const portOffset = Number(env[offsetVariable] ?? defaults.portOffset);
  if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 30_000) {
    throw new Error(`${offsetVariable}=${env[offsetVariable]}: a whole number from 0 to 30000`);
  }
  return { stateDir: path.resolve(ROOT, env[`${prefix}_STATE_DIR`] || defaults.stateDir), portOffset };
}

/**
 * The tests' Kafka: its own ports (single node on 10092, cluster on 20092…) and folder;
 * KAFKA_TEST_PORT_OFFSET and KAFKA_TEST_STATE_DIR move it, to run two test suites at once.
 */
export const TEST_INSTANCE: Instance = {
  ...instanceFromEnv(process.env, 'KAFKA_TEST', { stateDir: '.kafka-test', portOffset: 1000 }),
  quickStart: true,
};

export type BrokerCount = 1 | 3;

export interface NodeLayout {
  id: number;
  roles: 'broker,controller' | 'broker' | 'controller';
  /** PLAINTEXT, for clients; absent on a controller-only node. */
  port?: number;
  /** SASL_PLAINTEXT with SCRAM-SHA-512. */
  scramPort?: number;
  /** CLIENT (plaintext), only with Instance.clientListener. */
  clientPort?: number;
  controllerPort?: number;
}

export interface Topology {
  mode: 'single' | 'cluster';
  brokers: BrokerCount;
  nodes: NodeLayout[];
  /** Folder of this mode's nodes. */
  dir: string;
  bootstrap: string;
  heap: string[];
  /** Settings of every node, controllers included: a KRaft controller applies the topic defaults. */
  common: Record<string, string>;
  quickStart: boolean;
}

const INTERNAL_TOPICS = (replicas: number, minIsr: number): Record<string, string> => ({
  'num.partitions': String(DEFAULT_PARTITIONS),
  'default.replication.factor': String(replicas),
  'min.insync.replicas': String(minIsr),
  'offsets.topic.replication.factor': String(replicas),
  'transaction.state.log.replication.factor': String(replicas),
  'transaction.state.log.min.isr': String(minIsr),
  'share.coordinator.state.topic.replication.factor': String(replicas),
  'share.coordinator.state.topic.min.isr': String(minIsr),
  // A consumer group (the tests' readers) starts at once instead of after 3 s.
  'group.initial.rebalance.delay.ms': '0',
});

/**
 * single: node 1, broker and controller (9092, SCRAM on 9094, controller 9093).
 * cluster: a controller-only node 100 (19093) and brokers 1 to 3 (19092, 19192, 19292), so that
 * losing two brokers does not lose the quorum.
 */
export function topology(instance: Instance, brokers: number): Topology {
  const port = (base: number) => base + instance.portOffset;
  const client = (base: number) => (instance.clientListener ? { clientPort: port(base + 3) } : {});
  if (brokers === 1) {
    const nodes: NodeLayout[] = [
      { id: 1, roles: 'broker,controller', port: port(9092), scramPort: port(9094), controllerPort: port(9093), ...client(9092) },
    ];
    return { mode: 'single', brokers: 1, nodes, ...rest('single', nodes, ['-Xms256m', '-Xmx512m'], INTERNAL_TOPICS(1, 1)) };
  }
  if (brokers === 3) {
    const nodes: NodeLayout[] = [
      { id: 100, roles: 'controller', controllerPort: port(19093) },
      ...[1, 2, 3].map((id): NodeLayout => {
        const base = 19092 + 100 * (id - 1);
        return { id, roles: 'broker', port: port(base), ...client(base) };
      }),
    ];
    return { mode: 'cluster', brokers: 3, nodes, ...rest('cluster', nodes, ['-Xms192m', '-Xmx384m'], INTERNAL_TOPICS(3, 2)) };
  }
  throw new Error(`--brokers must be 1 or 3 (got ${brokers})`);

  function rest(mode: Topology['mode'], nodes: NodeLayout[], heap: string[], common: Record<string, string>) {
    const bootstrap = nodes.flatMap((node) => (node.port ? [`${HOST}:${node.port}`] : [])).join(',');
    return { dir: path.join(instance.stateDir, mode), bootstrap, heap, common, quickStart: instance.quickStart ?? false };
  }
}

export function nodePaths(topo: Topology, node: NodeLayout) {
  const dir = path.join(topo.dir, `node-${node.id}`);
  return {
    dir,
    config: path.join(dir, 'server.properties'),
    data: path.join(dir, 'data'),
    logs: path.join(dir, 'logs'),
    stdout: path.join(dir, 'stdout.log'),
    pid: path.join(dir, 'kafka.pid'),
    /** Written once the storage holds the SCRAM user: storage formatted before that is formatted again. */
    scramStamp: path.join(dir, 'scram-formatted'),
  };
}

/** server.properties of one node: its listeners, the mode's settings, then the caller's overrides. */
export function nodeProperties(topo: Topology, node: NodeLayout, overrides: Record<string, string>): Record<string, string> {
  const voters = topo.nodes
    .filter((n) => n.roles.includes('controller'))
    .map((n) => `${n.id}@${HOST}:${n.controllerPort}`)
    .join(',');
  const listeners = [
    node.port && `PLAINTEXT://${HOST}:${node.port}`,
    node.scramPort && `SASL_PLAINTEXT://${HOST}:${node.scramPort}`,
    node.clientPort && `CLIENT://${HOST}:${node.clientPort}`,
    node.controllerPort && `CONTROLLER://${HOST}:${node.controllerPort}`,
  ].filter((listener): listener is string => Boolean(listener));
  const properties: Record<string, string> = {
    'process.roles': node.roles,
    'node.id': String(node.id),
    'controller.quorum.voters': voters,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT${node.clientPort ? ',CLIENT:PLAINTEXT' : ''}`,
    listeners: listeners.join(','),
    'log.dirs': nodePaths(topo, node).data,
  };
  if (node.port) {
    properties['advertised.listeners'] = listeners.filter((listener) => !listener.startsWith('CONTROLLER:')).join(',');
    // Replication and the controller stay PLAINTEXT: only clients authenticate.
    properties['inter.broker.listener.name'] = 'PLAINTEXT';
  }
  if (node.scramPort) {
    properties['sasl.enabled.mechanisms'] = SCRAM.mechanism;
    properties['listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config'] =
      'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  return { ...properties, ...topo.common, ...overrides };
}

/** "k=v" items, or "k=v,k2=v2" (a comma splits only before another key=), into an object. */
export function parseOverrides(input: Record<string, string> | readonly string[] | string | undefined): Record<string, string> {
  if (input === undefined) return {};
  if (typeof input === 'object' && !Array.isArray(input)) return { ...(input as Record<string, string>) };
  const items = typeof input === 'string' ? input.split(/\s*[\n;]\s*|\s*,\s*(?=[A-Za-z0-9_.-]+=)/).filter(Boolean) : input;
  const overrides: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`an override looks like key=value: "${item}"`);
    overrides[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return overrides;
}
