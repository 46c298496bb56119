#!/usr/bin/env node
// npm run dev: the publisher on http://localhost:3000/dev against a real Kafka. Starts the local
// broker (scripts/kafka.mjs) when KAFKA_BROKERS is unset or local and nothing answers there,
// then serverless-offline, without --reloadHandler so the warm producer survives between requests.
import { spawn } from 'node:child_process';
import { brokersReachable, SINGLE_BOOTSTRAP, startKafka } from './kafka.mjs';

const bootstrap = process.env.KAFKA_BROKERS?.split(',')[0]?.trim() || SINGLE_BOOTSTRAP;
const isLocal = bootstrap.replace('localhost', '127.0.0.1') === SINGLE_BOOTSTRAP;

if (!(await brokersReachable({ bootstrap }))) {
  if (!isLocal) {
    console.error(
      `KAFKA_BROKERS=${process.env.KAFKA_BROKERS}: no broker answers at ${bootstrap}, and it is not the local one this script can start.`,
    );
    process.exit(1);
  }
  await startKafka({ brokers: 1 });
  console.log('Local Kafka keeps running after this exits; stop it with `npm run kafka:stop`.');
}

const brokers = process.env.KAFKA_BROKERS || bootstrap;
const offline = spawn('npx', ['serverless', 'offline', 'start', '--param', `kafkaBrokers=${brokers}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => offline.kill(signal));
offline.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
