import fs from 'node:fs';
import path from 'node:path';
import { createTopic, electPreferredLeaders, leaderOf, portOpen, registeredBrokers, topicPartitions, withAdmin } from './admin';
import {
  checkJava,
  kafkaVersion,
  launch,
  prepareNode,
  processState,
  resolveJars,
  runningPid,
  seconds,
  signalProcess,
  stopProcess,
  waitFor,
  withLock,
} from './jvm';
import {
  type BrokerCount,
  DEFAULT_PARTITIONS,
  DEFAULT_TOPIC,
  HOST,
  type Instance,
  instanceFromEnv,
  type NodeLayout,
  nodePaths,
  parseOverrides,
  ROOT,
  TEST_INSTANCE,
  type Topology,
  topology,
} from './topology';

export interface StartOptions {
  brokers?: BrokerCount;
  /** Added to every node's server.properties. */
  overrides?: Record<string, string> | readonly string[];
  /** Restart the nodes when they run with other overrides (otherwise they are kept, with a warning). */
  restart?: boolean;
  /** Use a Kafka that this script did not start when it answers on the ports (`npm run dev` does; the tests never do). */
  reuseForeign?: boolean;
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  timeoutMs?: number;
}

export interface StartResult {
  bootstrap: string;
  /** False when it already ran: then only its starter should stop it. */
  startedByUs: boolean;
  version: string;
  overrides: Record<string, string>;
}

export type NodeAction = 'stop' | 'kill' | 'pause' | 'resume' | 'start';

export interface NodeStatus {
  mode: Topology['mode'];
  node: NodeLayout;
  pid: number | undefined;
  state: 'not running' | 'paused' | 'running' | 'not answering';
}

const START_TIMEOUT_MS = Number(process.env.KAFKA_START_TIMEOUT_MS ?? 60_000);

/** One local Kafka instance: its single node and its cluster, started, stopped and faulted on demand. */
export class LocalKafka {
  constructor(
    readonly instance: Instance,
    private readonly say: (line: string) => void = console.log,
  ) {}

  /** The same instance, printing nothing. */
  quiet(): LocalKafka {
    return new LocalKafka(this.instance, () => {});
  }

  topology(brokers: number = 1): Topology {
    return topology(this.instance, brokers);
  }

  bootstrap(brokers: number = 1): string {
    return this.topology(brokers).bootstrap;
  }

  /** The single node's SCRAM listener. */
  get scramBootstrap(): string {
    return `${HOST}:${this.topology(1).nodes[0]?.scramPort}`;
  }

  /** Starts what is not running, waits until every node answers, and creates the topic. */
  async start(options: StartOptions = {}): Promise<StartResult> {
    const topo = this.topology(options.brokers ?? 1);
    const overrides = { ...parseOverrides(process.env.KAFKA_NODE_OVERRIDES), ...parseOverrides(options.overrides) };
    const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
    const started = Date.now();
    return withLock(topo, timeoutMs + 30_000, async () => {
      let running = topo.nodes.filter((node) => runningPid(topo, node));
      const current = this.runningOverrides(topo);
      if (running.length > 0 && JSON.stringify(sorted(current)) !== JSON.stringify(sorted(overrides))) {
        if (options.restart) {
          this.say(`Restarting Kafka (${topo.mode}) with the overrides ${JSON.stringify(overrides)}`);
          await this.stop({ brokers: topo.brokers });
          running = [];
        } else if (Object.keys(overrides).length > 0) {
          console.warn(
            `warning: Kafka already runs with the overrides ${JSON.stringify(current)}; ${JSON.stringify(overrides)} not applied (--restart)`,
          );
        }
      }
      const missing = topo.nodes.filter((node) => !running.includes(node));
      let startedByUs = false;
      if (running.length === 0 && options.reuseForeign && (await registeredBrokers(topo.bootstrap, 1_500))) {
        this.say(`Kafka already answers on ${topo.bootstrap} (not started by this script)`);
        return { bootstrap: topo.bootstrap, startedByUs, version: 'external', overrides: {} };
      }
      if (missing.length > 0) {
        await this.assertPortsFree(missing);
        checkJava();
        await resolveJars(this.say);
        fs.writeFileSync(path.join(topo.dir, 'overrides.json'), `${JSON.stringify(overrides)}\n`);
        const formatted = await Promise.all(missing.map((node) => prepareNode(topo, node, overrides)));
        if (formatted.some(Boolean))
          this.say(
            `Formatted storage for node(s) ${missing
              .filter((_, i) => formatted[i])
              .map((node) => node.id)
              .join(', ')}`,
          );
        for (const node of missing) launch(topo, node);
        startedByUs = true;
        try {
          await this.waitReady(topo, topo.nodes, timeoutMs);
        } catch (error) {
          for (const node of missing) await stopProcess(topo, node, 'SIGKILL', 10_000);
          throw error;
        }
      } else {
        await this.waitReady(topo, topo.nodes, timeoutMs);
      }
      const topic = options.topic ?? process.env.KAFKA_TOPIC ?? DEFAULT_TOPIC;
      const created = await createTopic(topo.bootstrap, {
        name: topic,
        partitions: options.partitions ?? DEFAULT_PARTITIONS,
        replicationFactor: options.replicationFactor ?? topo.brokers,
      });
      if (topo.brokers > 1) await electPreferredLeaders(topo.bootstrap, [topic]);
      const version = kafkaVersion();
      this.say(
        startedByUs
          ? `Kafka ${version} ready on ${topo.bootstrap} in ${seconds(Date.now() - started)}`
          : `Kafka ${version} already running on ${topo.bootstrap}`,
      );
      this.say(
        `Topic ${topic}: ${created.partitions} partitions, replication factor ${created.replicationFactor}${created.created ? ' (created)' : ''}`,
      );
      return { bootstrap: topo.bootstrap, startedByUs, version, overrides: this.runningOverrides(topo) };
    });
  }

  /** Stops the brokers, then the controller (a broker's controlled shutdown needs it); both modes unless `brokers` says. */
  async stop({ brokers }: { brokers?: BrokerCount } = {}): Promise<number[]> {
    const stopped: number[] = [];
    for (const topo of brokers ? [this.topology(brokers)] : [this.topology(1), this.topology(3)]) {
      const started = Date.now();
      const stoppedBefore = stopped.length;
      const brokerNodes = topo.nodes.filter((node) => node.port);
      const controllerOnly = topo.nodes.filter((node) => !node.port);
      const controllerUp = controllerOnly.some((node) => runningPid(topo, node));
      for (const group of [brokerNodes, controllerOnly]) {
        // Without its controller a broker waits minutes for a controlled shutdown that cannot come.
        const timeoutMs = topo.mode === 'cluster' && !controllerUp ? 5_000 : 30_000;
        const results = await Promise.all(group.map((node) => stopProcess(topo, node, 'SIGTERM', timeoutMs)));
        stopped.push(...group.filter((_, i) => results[i]).map((node) => node.id));
      }
      if (stopped.length > stoppedBefore) this.say(`Stopped Kafka (${topo.mode}) in ${seconds(Date.now() - started)}`);
    }
    if (stopped.length === 0) this.say('Kafka is not running (nothing started by this script)');
    return stopped;
  }

  /** One node's fault: stop (SIGTERM), kill (SIGKILL), pause (SIGSTOP), resume (SIGCONT), start. */
  async node(
    action: NodeAction,
    id: number,
    { brokers, waitFenced = false }: { brokers?: BrokerCount; waitFenced?: boolean } = {},
  ): Promise<void> {
    const topo = this.topology(brokers ?? (id === 1 && !this.runs(this.topology(3)) ? 1 : 3));
    const node = topo.nodes.find((candidate) => candidate.id === id);
    if (!node) throw new Error(`No node ${id} in ${topo.mode} mode (nodes ${topo.nodes.map((n) => n.id).join(', ')})`);
    const pid = runningPid(topo, node);
    const started = Date.now();
    switch (action) {
      case 'stop':
      case 'kill': {
        await stopProcess(topo, node, action === 'kill' ? 'SIGKILL' : 'SIGTERM', 30_000);
        // A killed JVM's other threads may hold its sockets a moment after its main one is gone.
        await waitFor(async () => !(await this.anyPortOpen(node)), 10_000, 100);
        if (waitFenced && node.port) {
          const others = topo.nodes.filter((other) => other.port && other !== node).map((other) => `${HOST}:${other.port}`);
          await waitFor(async () => !((await registeredBrokers(others.join(','))) ?? [id]).includes(id), 30_000);
        }
        break;
      }
      case 'pause':
      case 'resume':
        if (!pid) throw new Error(`Node ${id} is not running`);
        signalProcess(pid, action === 'pause' ? 'SIGSTOP' : 'SIGCONT');
        if (action === 'resume') await this.waitReady(topo, [node], START_TIMEOUT_MS);
        break;
      case 'start':
        if (pid) {
          signalProcess(pid, 'SIGCONT');
          break;
        }
        if (!fs.existsSync(path.join(nodePaths(topo, node).data, 'meta.properties'))) {
          throw new Error(`Node ${id} was never set up: npm run kafka -- start --brokers ${topo.brokers}`);
        }
        await this.assertPortsFree([node]);
        launch(topo, node);
        await this.waitReady(topo, [node], START_TIMEOUT_MS);
        break;
      default:
        throw new Error(`Unknown node action "${action}" (stop, kill, pause, resume or start)`);
    }
    this.say(`node ${id}: ${action} done in ${seconds(Date.now() - started)}`);
  }

  async status(): Promise<NodeStatus[]> {
    const rows: NodeStatus[] = [];
    for (const topo of [this.topology(1), this.topology(3)]) {
      for (const node of topo.nodes) {
        const pid = runningPid(topo, node);
        const state = !pid
          ? 'not running'
          : processState(pid) === 'T'
            ? 'paused'
            : (await this.answers(topo, node))
              ? 'running'
              : 'not answering';
        rows.push({ mode: topo.mode, node, pid, state });
      }
    }
    return rows;
  }

  createTopic(spec: Parameters<typeof createTopic>[1], brokers: BrokerCount = 1) {
    return createTopic(this.bootstrap(brokers), spec);
  }

  topicPartitions(topic: string, brokers: BrokerCount = 1) {
    return topicPartitions(this.bootstrap(brokers), topic);
  }

  leaderOf(topic: string, partition: number, brokers: BrokerCount = 1) {
    return leaderOf(this.bootstrap(brokers), topic, partition);
  }

  electPreferredLeaders(topics: readonly string[], brokers: BrokerCount = 3, timeoutMs?: number) {
    return electPreferredLeaders(this.bootstrap(brokers), topics, timeoutMs);
  }

  topicNames(brokers: BrokerCount = 1): Promise<string[]> {
    return withAdmin(this.bootstrap(brokers), (admin) => admin.listTopics(), undefined, { allTopics: true });
  }

  /** The cluster when its JVMs run, else the single node: what a command without --brokers means. */
  defaultBrokers(): BrokerCount {
    return this.runs(this.topology(3)) ? 3 : 1;
  }

  /** Whether any JVM of the mode runs. */
  runs(topo: Topology): boolean {
    return topo.nodes.some((node) => runningPid(topo, node));
  }

  private runningOverrides(topo: Topology): Record<string, string> {
    const file = path.join(topo.dir, 'overrides.json');
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>) : {};
  }

  private async anyPortOpen(node: NodeLayout): Promise<boolean> {
    for (const port of [node.port, node.scramPort, node.clientPort, node.controllerPort]) if (port && (await portOpen(port))) return true;
    return false;
  }

  private async assertPortsFree(nodes: readonly NodeLayout[]): Promise<void> {
    for (const node of nodes) {
      for (const port of [node.port, node.scramPort, node.clientPort, node.controllerPort]) {
        if (port && (await portOpen(port))) {
          throw new Error(
            `Port ${port} (node ${node.id}) is in use by a process this script did not start (docker compose down, or another clone's Kafka)`,
          );
        }
      }
    }
  }

  /**
   * A broker answers when it lists itself as registered, and so do the other live brokers (one
   * resumed after SIGSTOP may list itself from a stale cache while the controller fenced it). A
   * controller-only node answers when its port is open; the brokers' registration proves the rest.
   */
  private async answers(topo: Topology, node: NodeLayout): Promise<boolean> {
    if (!node.port) return portOpen(node.controllerPort as number);
    if (!(await registeredBrokers(`${HOST}:${node.port}`))?.includes(node.id)) return false;
    const others = topo.nodes.filter(
      (other) => other.port && other !== node && runningPid(topo, other) && processState(runningPid(topo, other) as number) !== 'T',
    );
    if (others.length === 0) return true;
    const seen = await registeredBrokers(others.map((other) => `${HOST}:${other.port}`).join(','));
    return seen === undefined || seen.includes(node.id);
  }

  private async waitReady(topo: Topology, nodes: readonly NodeLayout[], timeoutMs: number): Promise<void> {
    const pending = new Set(nodes);
    const ready = await waitFor(async () => {
      for (const node of pending) {
        if (await this.answers(topo, node)) pending.delete(node);
        else if (!runningPid(topo, node))
          throw new Error(`Kafka node ${node.id} exited while starting:\n${lastLines(nodePaths(topo, node).stdout)}`);
      }
      return pending.size === 0;
    }, timeoutMs);
    if (!ready) {
      const ids = [...pending].map((node) => node.id);
      const report = [...pending].map(
        (node) => `--- node ${node.id}, ${path.relative(ROOT, nodePaths(topo, node).stdout)}:\n${lastLines(nodePaths(topo, node).stdout)}`,
      );
      throw new Error(`Kafka node(s) ${ids.join(', ')} did not answer within ${seconds(timeoutMs)}\n${report.join('\n')}`);
    }
  }
}

const sorted = (record: Record<string, string>) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));

/** What a node printed since its last start. */
function lastLines(file: string, count = 25): string {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return text
    .slice(text.lastIndexOf('\n===== ') + 1)
    .trimEnd()
    .split('\n')
    .slice(-count)
    .join('\n');
}

/** The developer's Kafka: `npm run dev`, `npm run kafka`, the bench (KAFKA_PORT_OFFSET, KAFKA_STATE_DIR). */
export const devKafka = new LocalKafka(instanceFromEnv());

/** The tests' own Kafka, on other ports and in another folder: `npm test` never touches the dev broker. */
export const testKafka = new LocalKafka(TEST_INSTANCE);
