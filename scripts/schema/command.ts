// The commands of `npm run schema` (scripts/schema.ts): this code's order schema against the
// schema registry of SCHEMA_REGISTRY_URL (and SCHEMA_FORMAT, SCHEMA_SUBJECT_STRATEGY,
// SCHEMA_REGISTRY_AUTH, SCHEMA_REGISTRY_SECRET_ARN, KAFKA_TOPIC: the variables the functions read).
import { parseConfig, type SchemaRegistryConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { type SchemaFormat, schemaFormat, subjectName } from '../../lib/schema/formats';
import { type RegistryClient, RegistryHttpError } from '../../lib/schema/registry-client';
import { registryClient } from '../../lib/schema/setup';
import { devRegistry } from '../registry/local-registry';

const USAGE = `Usage: npm run schema -- <command>

  check      is this code's schema the subject's latest version, or compatible with it under the
             subject's compatibility rule? Exits 1 with the registry's own reason when it is not.
  register   registers it under the subject (a schema already there keeps its id); the registry
             refuses an incompatible one (exit 1)
  print      the schema as it is registered (no registry needed; SCHEMA_FORMAT, default json)

Environment: SCHEMA_REGISTRY_URL, SCHEMA_FORMAT (json | avro), SCHEMA_SUBJECT_STRATEGY (topic |
record | topic-record), SCHEMA_REGISTRY_AUTH=basic with SCHEMA_REGISTRY_SECRET_ARN, KAFKA_TOPIC.
The local registry: \`npm run registry -- start\`, then SCHEMA_REGISTRY_URL=${devRegistry.url}.`;

/** Each call to the registry waits no longer than this. */
const REQUEST_BOUND_MS = 30_000;
/** The rule a subject created by `register` gets: what Confluent's registry applies by default. */
const SUBJECT_COMPATIBILITY = 'BACKWARD';
const FORMAT_NAMES = { json: 'JSON Schema', avro: 'Avro' } as const;

class Failure extends Error {}

/** What a command printed, and its exit code: 0, or 1 when it failed (the reason is the last line). */
export interface CommandResult {
  code: number;
  output: string[];
}

/** Runs one command of `npm run schema` with this environment. */
export async function schemaCommand(command: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  const output: string[] = [];
  const say = (line: string) => {
    output.push(line);
  };
  try {
    const failed = await run(command, env, { log: say });
    return { code: failed ? 1 : 0, output };
  } catch (error) {
    output.push(`schema: ${(error as Error).message}`);
    return { code: 1, output };
  }
}

/** True when it failed without throwing (a schema registered, but not the latest). */
async function run(command: string | undefined, env: NodeJS.ProcessEnv, console: Say): Promise<boolean> {
  if (command === undefined || ['help', '--help', '-h'].includes(command)) {
    console.log(USAGE);
    return false;
  }
  if (!['check', 'register', 'print'].includes(command)) throw new Failure(`unknown command ${command}\n\n${USAGE}`);
  if (command === 'print') {
    // No registry: the configuration (which wants SCHEMA_REGISTRY_URL with SCHEMA_FORMAT) is not needed.
    const name = env.SCHEMA_FORMAT || 'json';
    if (name !== 'json' && name !== 'avro') throw new Failure(`SCHEMA_FORMAT="${name}": must be json or avro`);
    console.log(JSON.stringify(JSON.parse(schemaFormat(name).schema), null, 2));
    return false;
  }
  const config = parseConfig(env);
  const registry = config.schemaRegistry;
  if (!registry) {
    throw new Failure(
      `SCHEMA_REGISTRY_URL is not set: the registry to check against (the local one: \`npm run registry -- start\`, then SCHEMA_REGISTRY_URL=${devRegistry.url})`,
    );
  }
  const format = schemaFormat(registry.format);
  const subject = subjectName(registry.subjectStrategy, config.kafka.topic, format);
  const client = registryClient(registry);
  const deadline = () => new Deadline(Date.now() + REQUEST_BOUND_MS);
  const fail = describeFailure(registry, subject);
  const rule = await client.compatibilityLevel(subject, deadline()).catch(fail);
  console.log(
    `${subject} on ${registry.url}: ${FORMAT_NAMES[format.name]}, compatibility ${rule.level}${rule.own ? '' : " (the registry's default)"}`,
  );
  if (rule.level === 'NONE') {
    console.log(
      'warning: compatibility NONE: the registry may accept any change to this subject (Apicurio also says NONE of a subject without a rule of its own, when its global rule applies)',
    );
  }
  const context: RegistryCommand = { client, subject, format, deadline, fail, say: console };
  if (command === 'check') {
    await check(context);
    return false;
  }
  return register(context);
}

interface Say {
  log(line: string): void;
}

/** What check and register work with: the subject on the registry, each call's bound, and how a failure reads. */
interface RegistryCommand {
  client: RegistryClient;
  subject: string;
  format: SchemaFormat;
  deadline: () => Deadline;
  fail: (error: unknown) => never;
  say: Say;
}

async function check({ client, subject, format, deadline, fail, say }: RegistryCommand): Promise<void> {
  let latest: Awaited<ReturnType<RegistryClient['latest']>>;
  try {
    latest = await client.latest(subject, deadline());
  } catch (error) {
    if (error instanceof RegistryHttpError && error.subjectNotFound) {
      say.log(`ok: ${subject} has no version yet; \`npm run schema -- register\` creates version 1`);
      return;
    }
    throw fail(error);
  }
  if (format.isOurs(latest.schema)) {
    say.log(`ok: this code's schema is the latest version, ${latest.version} (id ${latest.id})`);
    return;
  }
  const answer = await client.compatibility(subject, format, deadline()).catch(fail);
  if (answer.is_compatible) {
    say.log(
      `ok: compatible with version ${latest.version} (id ${latest.id}); \`npm run schema -- register\` adds it, and the functions frame with it once it is the latest`,
    );
    return;
  }
  const reasons = [...(answer.messages ?? []), ...(answer.reason ? [answer.reason] : [])];
  throw new Failure(
    `incompatible with version ${latest.version} (id ${latest.id}) under ${subject}; the registry says:\n${reasons.map((reason) => `  ${reason}`).join('\n') || '  (no reason given)'}`,
  );
}

async function register({ client, subject, format, deadline, fail, say }: RegistryCommand): Promise<boolean> {
  const isNew = await client.latest(subject, deadline()).then(
    () => false,
    (error: unknown) => {
      if (error instanceof RegistryHttpError && error.subjectNotFound) return true;
      throw fail(error);
    },
  );
  let id: number;
  try {
    ({ id } = await client.register(subject, format, deadline()));
  } catch (error) {
    if (error instanceof RegistryHttpError && error.status === 409) {
      throw new Failure(`the registry refused the schema as incompatible with ${subject}'s latest version:\n  ${error.registryMessage}`);
    }
    throw fail(error);
  }
  if (isNew) {
    // The subject's own rule from its first version on, whatever the registry's default.
    await client.setCompatibilityLevel(subject, SUBJECT_COMPATIBILITY, deadline()).catch(fail);
    say.log(`compatibility ${SUBJECT_COMPATIBILITY} set on the new subject ${subject}`);
  }
  const latest = await client.latest(subject, deadline()).catch(fail);
  const isLatest = latest.id === id;
  say.log(
    isLatest
      ? `registered: id ${id}, version ${latest.version} of ${subject}, the latest: the functions frame with it`
      : `registered before as id ${id}, but the latest version of ${subject} is ${latest.version} (id ${latest.id}): the functions refuse to frame until this code's schema is the latest`,
  );
  return !isLatest;
}

function describeFailure(registry: SchemaRegistryConfig, subject: string) {
  return (error: unknown): never => {
    if (error instanceof RegistryHttpError && error.authenticationFailed) {
      const source =
        registry.auth.mechanism === 'basic' ? `the credentials of secret ${registry.auth.secretId}` : 'requests without credentials';
      throw new Failure(
        `the registry at ${registry.url} refused ${source} (HTTP ${error.status}); check SCHEMA_REGISTRY_AUTH and the secret`,
      );
    }
    throw new Failure(`${subject}: ${(error as Error).message}`);
  };
}
