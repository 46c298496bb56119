import type { Deadline } from '../deadline';
import type { Attempt, ClaimRequest, IdempotencyStore, StoredAnswer } from './store';

export interface DynamoDbStoreOptions {
  table: string;
  region: string | undefined;
  settleMs: number;
}

/**
 * The DynamoDB store, built on the first request that carries a key: a cold start without one
 * does not load the AWS SDK's DynamoDB client. Its endpoint is the SDK's own
 * (AWS_ENDPOINT_URL_DYNAMODB points it at dynalite locally), so no code path exists for local use only.
 */
export function lazyDynamoDbStore({ table, region, settleMs }: DynamoDbStoreOptions): IdempotencyStore {
  let store: Promise<IdempotencyStore> | undefined;
  const get = () => {
    store ??= (async () => {
      const [{ DynamoDBClient }, { DynamoDbIdempotencyStore }] = await Promise.all([
        import('@aws-sdk/client-dynamodb'),
        import('./dynamodb-store'),
      ]);
      // Every call also carries the request's deadline as an abort signal; these bound a single try.
      const client = new DynamoDBClient({ region, maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
      return new DynamoDbIdempotencyStore(client, table, settleMs);
    })().catch((error: unknown) => {
      store = undefined;
      throw error;
    });
    return store;
  };
  return {
    claim: async (request: ClaimRequest, deadline: Deadline) => (await get()).claim(request, deadline),
    complete: async (key: string, lease: string, answer: StoredAnswer, deadline: Deadline) =>
      (await get()).complete(key, lease, answer, deadline),
    completePartial: async (...args: Parameters<IdempotencyStore['completePartial']>) => (await get()).completePartial(...args),
    release: async (...args: Parameters<IdempotencyStore['release']>) => (await get()).release(...args),
    markUnknown: async (key: string, lease: string, attempts: Attempt[], deadline: Deadline) =>
      (await get()).markUnknown(key, lease, attempts, deadline),
  };
}
