import { parseArgs } from 'node:util';
import { devKafka, type NodeAction } from './local-kafka';
import { type BrokerCount, HOST, SCRAM } from './topology';

const USAGE = `npm run kafka -- <command> [flags]

  start   [--brokers 1|3] [--override key=value]... [--restart]   start (a no-op when it runs) and create order-events
  stop    [--brokers 1|3]                                         stop (both modes without --brokers)
  status                                                          one line per node: its state and pid
  node    stop|kill|pause|resume|start <id> [--brokers 1|3] [--fenced]
  leader  <topic> <partition> [--brokers 1|3]                     the partition's leader
  topic   <name> [--partitions N] [--rf N] [--config key=value]... [--brokers 1|3]
  elect   [<topic>]... [--brokers 1|3]                            preferred-leader election (all topics by default)

  --brokers 1: node 1 (broker and controller) on ${devKafka.bootstrap(1)}, SCRAM on ${devKafka.scramBootstrap}
               (${SCRAM.mechanism}, ${SCRAM.username} / ${SCRAM.password})
  --brokers 3: controller 100, brokers 1 to 3 on ${devKafka.bootstrap(3)}
  Environment: KAFKA_PORT_OFFSET, KAFKA_STATE_DIR (another instance), KAFKA_NODE_OVERRIDES, KAFKA_HEAP_OPTS, JAVA_HOME`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      brokers: { type: 'string' },
      override: { type: 'string', multiple: true },
      config: { type: 'string', multiple: true },
      restart: { type: 'boolean' },
      fenced: { type: 'boolean' },
      partitions: { type: 'string' },
      rf: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  const brokers = values.brokers === undefined ? undefined : (Number(values.brokers) as BrokerCount);
  if (brokers !== undefined) devKafka.topology(brokers); // refuses anything but 1 or 3
  switch (values.help ? 'help' : command) {
    case 'start':
      await devKafka.start({
        brokers: brokers ?? 1,
        overrides: values.override ?? [],
        restart: values.restart ?? false,
        reuseForeign: true,
      });
      return;
    case 'stop':
      await devKafka.stop(brokers ? { brokers } : {});
      return;
    case 'status':
      for (const { mode, node, pid, state } of await devKafka.status()) {
        const where = [
          node.port && `${HOST}:${node.port}`,
          node.scramPort && `SCRAM :${node.scramPort}`,
          node.controllerPort && `controller :${node.controllerPort}`,
        ];
        console.log(
          `${mode.padEnd(8)}node ${String(node.id).padEnd(4)}${node.roles.padEnd(19)}${where.filter(Boolean).join(', ').padEnd(52)}${state}${pid ? ` (pid ${pid})` : ''}`,
        );
      }
      return;
    case 'node': {
      const [action, id] = args;
      if (!action || id === undefined) throw new Error('usage: node stop|kill|pause|resume|start <id>');
      await devKafka.node(action as NodeAction, Number(id), { ...(brokers ? { brokers } : {}), waitFenced: values.fenced ?? false });
      return;
    }
    case 'leader': {
      const [topic, partition] = args;
      if (!topic || partition === undefined) throw new Error('usage: leader <topic> <partition>');
      console.log(await devKafka.leaderOf(topic, Number(partition), brokers ?? devKafka.defaultBrokers()));
      return;
    }
    case 'topic': {
      const [name] = args;
      if (!name) throw new Error('usage: topic <name>');
      const configs = Object.fromEntries((values.config ?? []).map((item) => item.split(/=(.*)/s).slice(0, 2) as [string, string]));
      const topic = await devKafka.createTopic(
        {
          name,
          configs,
          ...(values.partitions ? { partitions: Number(values.partitions) } : {}),
          ...(values.rf ? { replicationFactor: Number(values.rf) } : {}),
        },
        brokers ?? devKafka.defaultBrokers(),
      );
      console.log(
        `Topic ${name}: ${topic.partitions} partitions, replication factor ${topic.replicationFactor}${topic.created ? ' (created)' : ''}`,
      );
      return;
    }
    case 'elect': {
      const topics = args.length > 0 ? args : await devKafka.topicNames(brokers ?? devKafka.defaultBrokers());
      console.log(
        `${await devKafka.electPreferredLeaders(topics, brokers ?? devKafka.defaultBrokers())} partition(s) moved to their preferred leader`,
      );
      return;
    }
    case 'help':
    case undefined:
      console.log(USAGE);
      return;
    default:
      throw new Error(`Unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`kafka: ${error.message}`);
    process.exit(1);
  },
);
