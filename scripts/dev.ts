// npm run dev: the publisher on http://localhost:3000/dev against a real Kafka. Reuses whatever
// Kafka answers on the local port (docker compose, another terminal) or starts the local one,
// then serverless-offline, without --reloadHandler so that the warm producer survives between
// requests.
import { spawn } from 'node:child_process';
import { registeredBrokers } from './kafka/admin';
import { devKafka } from './kafka/local-kafka';

async function main(): Promise<void> {
  const local = devKafka.bootstrap(1);
  const brokers = process.env.KAFKA_BROKERS || local;
  if (brokers.split(',')[0]?.trim().replace('localhost', '127.0.0.1') === local) {
    await devKafka.start({ brokers: 1, reuseForeign: true });
    console.log('Local Kafka keeps running after this exits; stop it with `npm run kafka:stop`.');
  } else if (!(await registeredBrokers(brokers))) {
    throw new Error(`KAFKA_BROKERS=${brokers}: no broker answers there, and it is not the local one this script can start.`);
  }
  serveOffline(brokers);
}

function serveOffline(brokers: string): void {
  const offline = spawn('npx', ['serverless', 'offline', 'start', '--param', `kafkaBrokers=${brokers}`, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => offline.kill(signal));
  offline.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((error: Error) => {
  console.error(`dev: ${error.message}`);
  process.exit(1);
});
