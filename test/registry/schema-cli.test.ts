import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/deadline';
import { schemaFormat } from '../../lib/schema/formats';
import { RegistryClient } from '../../lib/schema/registry-client';
import { schemaCommand } from '../../scripts/schema/command';
import { useTestRegistry } from '../support/registry';

/** `npm run schema -- check | register` (scripts/schema.ts) against the tests' registry. */
const registry = useTestRegistry();
const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);
let subjects = 0;

/** The parts of a JSON Schema (properties, required) or an Avro record (fields) that the tests change. */
interface SchemaDocument {
  properties: Record<string, unknown>;
  required: string[];
  fields: { name: string; type: unknown }[];
}

/** A command in this process (scripts/schema/command.ts), with the environment the CLI would have. */
async function schema(command: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const { code, output } = await schemaCommand(command, { ...process.env, SCHEMA_REGISTRY_URL: registry.url, ...env });
  return { code, output: output.join('\n') };
}

/** `npm run schema -- <command>` as a process: tsx scripts/schema.ts. */
function cli(command: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return run(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/schema.ts', command], {
    cwd: ROOT,
    env: { ...process.env, SCHEMA_REGISTRY_URL: registry.url, ...env },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, output: `${error.stdout}${error.stderr}` }),
  );
}

/** A subject whose latest version is this code's schema changed by `change`: our schema is then the change's reverse. */
async function subjectWithLatest(format: 'json' | 'avro', change: (schema: SchemaDocument) => void) {
  const topic = `cli-${format}-${++subjects}-${Date.now()}`;
  const subject = `${topic}-value`;
  const client = new RegistryClient({ url: registry.url });
  const deadline = new Deadline(Date.now() + 10_000);
  const older = JSON.parse(schemaFormat(format).schema);
  change(older);
  await client.register(subject, { schema: JSON.stringify(older), schemaType: format === 'avro' ? 'AVRO' : 'JSON' }, deadline);
  await client.setCompatibilityLevel(subject, 'BACKWARD', deadline);
  return topic;
}

describe('npm run schema', () => {
  it.each(['json', 'avro'] as const)(
    '%s: check passes for a new subject and for the registered schema; register registers it once',
    async (format) => {
      const env = { KAFKA_TOPIC: `cli-${format}-${Date.now()}`, SCHEMA_FORMAT: format };
      const first = await schema('check', env);
      const registered = await schema('register', env);
      const again = await schema('register', env);
      // The last one as `npm run schema` runs it: a process.
      const checked = await cli('check', env);
      expect(first).toMatchObject({ code: 0, output: expect.stringContaining('has no version yet') });
      expect(registered.code, registered.output).toBe(0);
      expect(registered.output).toContain('compatibility BACKWARD set on the new subject');
      expect(registered.output).toMatch(/registered: id \d+, version 1 of .*, the latest/);
      expect(again.output).toMatch(/registered: id \d+, version 1 of/);
      expect(checked).toMatchObject({ code: 0, output: expect.stringContaining("ok: this code's schema is the latest version, 1") });
    },
  );

  it.each([
    // JSON Schema: the registry's latest requires a field our schema does not have (a required field removed) …
    [
      'json',
      'a removed required field',
      (s: SchemaDocument) => {
        s.properties.gift_wrap = { type: 'boolean' };
        s.required.push('gift_wrap');
      },
      'OBJECT_TYPE_PROPERTY_SCHEMAS_NARROWED',
    ],
    // … or has another type for quantity (a changed type).
    [
      'json',
      'a changed type',
      (s: SchemaDocument) => {
        s.properties.quantity = { type: 'string' };
      },
      'SUBSCHEMA_TYPE_CHANGED at /properties/quantity',
    ],
    [
      'avro',
      'a changed type',
      (s: SchemaDocument) => {
        (s.fields[3] as { type: unknown }).type = 'string';
      },
      'reader type: INT not compatible with writer type: STRING',
    ],
  ] as const)("%s: check and register fail for %s, with the registry's own reason", async (format, _what, change, reason) => {
    const env = { KAFKA_TOPIC: await subjectWithLatest(format, change), SCHEMA_FORMAT: format };
    const checked = format === 'avro' ? await cli('check', env) : await schema('check', env);
    const registered = await schema('register', env);
    expect(checked.code, checked.output).toBe(1);
    expect(checked.output).toContain('incompatible with version 1');
    expect(checked.output).toContain(reason);
    expect(registered.code).toBe(1);
    expect(registered.output).toContain('the registry refused the schema as incompatible');
    expect(registered.output).toContain(reason);
  });

  it('names the variable when SCHEMA_REGISTRY_URL is missing or bad', async () => {
    const missing = await cli('check', { SCHEMA_REGISTRY_URL: '' });
    const bad = await schema('check', { SCHEMA_REGISTRY_URL: 'registry.example.com' });
    expect(missing).toMatchObject({ code: 1, output: expect.stringContaining('SCHEMA_REGISTRY_URL is not set') });
    expect(bad).toMatchObject({ code: 1, output: expect.stringContaining('SCHEMA_REGISTRY_URL="registry.example.com": an http(s) URL') });
  });
});
