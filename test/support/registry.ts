import { randomUUID } from 'node:crypto';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll } from 'vitest';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { type SchemaFormat, schemaFormat } from '../../lib/schema/formats';
import { type RegisteredSchema, RegistryClient } from '../../lib/schema/registry-client';
import type { RegistrySetupDeps } from '../../lib/schema/setup';
import { createTopic } from '../../scripts/kafka/admin';
import { testKafka } from '../../scripts/kafka/local-kafka';
import { testRegistry } from '../../scripts/registry/local-registry';

/** The tests' registry, once it answers (its start began in test/setup/registry.ts). */
export function useTestRegistry(): { readonly url: string } {
  beforeAll(async () => {
    await testRegistry.quiet().start();
  }, 120_000);
  return { url: testRegistry.url };
}

export const bootstrap = () => testKafka.bootstrap(1);

/** A topic of its own per test (and so a subject of its own: <topic>-value). */
export async function freshTopic(prefix: string): Promise<string> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  await createTopic(bootstrap(), { name: topic, partitions: 3, replicationFactor: 1 });
  return topic;
}

const deadline = () => new Deadline(Date.now() + 10_000);

/** Registers this code's schema of the format under the subject, as `npm run schema -- register` does. */
export async function registerOurs(url: string, subject: string, format: SchemaFormat['name']): Promise<number> {
  const { id } = await new RegistryClient({ url }).register(subject, schemaFormat(format), deadline());
  return id;
}

/** The registry's answer for a schema id, straight from its REST API. */
export function schemaById(url: string, id: number): Promise<RegisteredSchema> {
  return new RegistryClient({ url }).schemaById(id, deadline());
}

/** A runtime in registry mode against the tests' broker: the handlers' dependencies, as a cold Lambda has them. */
export function registryRuntime(env: Record<string, string>, registry: RegistrySetupDeps = {}): Runtime {
  return createRuntime(parseConfig({ KAFKA_BROKERS: bootstrap(), LOG_LEVEL: 'SILENT', ...env }), { registry });
}

/** Validates a JSON payload against a registered JSON Schema (draft-07) with ajv, independently of the publisher's code. */
export function jsonSchemaValidator(schema: string): (payload: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  // ajv's default class is draft-07's validator.
  const validate = ajv.compile(JSON.parse(schema) as Record<string, unknown>);
  return (payload) => (validate(payload) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`));
}
