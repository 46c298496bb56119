import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/**
 * A local DynamoDB API for the idempotency store: dynalite (pure JavaScript, on LevelDB), in the
 * process that needs it. The code under test reaches it through the SDK's standard
 * AWS_ENDPOINT_URL_DYNAMODB, as it would reach DynamoDB itself.
 */

/** The table serverless.yml creates, for the stage `dev`; locally the same name. */
export const LOCAL_TABLE = 'order-event-publisher-dev-idempotency';

/** Credentials and region for a DynamoDB API that checks neither. */
export const LOCAL_AWS_ENV = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

export interface LocalDynamoDb {
  endpoint: string;
  /** What the publisher needs to use it: AWS_ENDPOINT_URL_DYNAMODB, IDEMPOTENCY_TABLE and local credentials. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts dynalite (its data under `path`, or in memory) and creates the table. Port 0 picks a free one. */
export async function startLocalDynamoDb({
  port = 0,
  path,
  table = LOCAL_TABLE,
}: {
  port?: number;
  path?: string;
  table?: string;
} = {}): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, ...(path ? { path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await createTable(endpoint, table);
  return {
    endpoint,
    env: { ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: endpoint, IDEMPOTENCY_TABLE: table },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The table as serverless.yml declares it (key `id`), unless it exists. */
export async function createTable(endpoint: string, table: string): Promise<void> {
  const client = new DynamoDBClient({ ...localClientConfig(), endpoint });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new DescribeTableCommand({ TableName: table }));
  client.destroy();
}

/** Whether a DynamoDB API answers at `endpoint`. */
export async function answers(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({ ...localClientConfig(), endpoint, maxAttempts: 1 });
  try {
    await client.send(new DescribeTableCommand({ TableName: LOCAL_TABLE }), { abortSignal: AbortSignal.timeout(1_000) });
    return true;
  } catch (error) {
    return (error as Error).name === 'ResourceNotFoundException';
  } finally {
    client.destroy();
  }
}

const localClientConfig = () => ({
  region: LOCAL_AWS_ENV.AWS_REGION,
  credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
});
