// npm run dev: the publisher on http://localhost:3000/dev against a real Kafka and a real
// DynamoDB API. Reuses whatever Kafka answers on the local port (docker compose, another
// terminal) or starts the local one; runs dynalite for the idempotency store (its keys kept in
// .dynamodb/ across restarts); then serverless-offline, without --reloadHandler so that the warm
// producer survives between requests.
//
// Registry mode: SCHEMA_REGISTRY_URL, SCHEMA_FORMAT and the other SCHEMA_* variables of this
// environment are passed to the functions. `npm run dev -- --registry` also starts the local
// schema registry (Apicurio, left running like Kafka) when SCHEMA_REGISTRY_URL is unset, and
// registers the order schema there, as a deploy does.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { answers, createTable, LOCAL_AWS_ENV, LOCAL_TABLE, startLocalDynamoDb } from './dynamodb/local-dynamodb';
import { registeredBrokers } from './kafka/admin';
import { devKafka } from './kafka/local-kafka';
import { ROOT } from './kafka/topology';
import { devRegistry } from './registry/local-registry';
import { registryParams } from './registry/offline-params';
import { schemaCommand } from './schema/command';

/** DynamoDB Local's usual port: one that already answers there (DynamoDB Local in Docker) is used as it is. */
const DYNAMODB_PORT = Number(process.env.DYNAMODB_PORT ?? 8000);

async function main(): Promise<void> {
  const local = devKafka.bootstrap(1);
  const brokers = process.env.KAFKA_BROKERS || local;
  if (brokers.split(',')[0]?.trim().replace('localhost', '127.0.0.1') === local) {
    await devKafka.start({ brokers: 1, reuseForeign: true });
    console.log('Local Kafka keeps running after this exits; stop it with `npm run kafka:stop`.');
  } else if (!(await registeredBrokers(brokers))) {
    throw new Error(`KAFKA_BROKERS=${brokers}: no broker answers there, and it is not the local one this script can start.`);
  }
  const args = process.argv.slice(2);
  const registry = args.includes('--registry') ? await localRegistry() : {};
  // The local DynamoDB settings come last: a shell's AWS variables must not point dev elsewhere.
  serveOffline(
    brokers,
    { ...registry, ...(await idempotencyStore()) },
    args.filter((arg) => arg !== '--registry'),
  );
}

/**
 * --registry: the local registry (unless SCHEMA_REGISTRY_URL names another), with the order schema
 * registered; what it adds to the functions' environment.
 */
async function localRegistry(): Promise<Record<string, string>> {
  const added: Record<string, string> = {};
  if (!process.env.SCHEMA_REGISTRY_URL) {
    await devRegistry.start();
    console.log('The schema registry keeps running after this exits (its schemas in memory); stop it with `npm run registry -- stop`.');
    added.SCHEMA_REGISTRY_URL = devRegistry.url;
  }
  const env = { ...process.env, ...added };
  const { code, output } = await schemaCommand('register', env);
  for (const line of output) console.log(line);
  if (code !== 0) throw new Error(`the order schema could not be registered at ${env.SCHEMA_REGISTRY_URL}`);
  return added;
}

/** The environment that points the idempotency store (the AWS SDK) at the local DynamoDB API. */
async function idempotencyStore(): Promise<Record<string, string>> {
  const endpoint = `http://127.0.0.1:${DYNAMODB_PORT}`;
  if (await answers(endpoint)) {
    await createTable(endpoint, LOCAL_TABLE);
    console.log(`Idempotency store: the DynamoDB API already answering on ${endpoint}, table ${LOCAL_TABLE}`);
    return { ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  }
  const dynamo = await startLocalDynamoDb({ port: DYNAMODB_PORT, path: path.join(ROOT, '.dynamodb') });
  console.log(`Idempotency store: dynalite on ${dynamo.endpoint}, table ${LOCAL_TABLE}, data in .dynamodb/`);
  return { ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint };
}

function serveOffline(brokers: string, added: Record<string, string>, args: string[]): void {
  const env = { ...process.env, ...added };
  const params = ['--param', `kafkaBrokers=${brokers}`, ...registryParams(env)];
  if (env.SCHEMA_REGISTRY_URL)
    console.log(`Registry mode: ${env.SCHEMA_FORMAT || 'json'} values framed with the schema id from ${env.SCHEMA_REGISTRY_URL}`);
  const offline = spawn('npx', ['serverless', 'offline', 'start', ...params, ...args], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => offline.kill(signal));
  offline.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((error: Error) => {
  console.error(`dev: ${error.message}`);
  process.exit(1);
});
