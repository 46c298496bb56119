import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Registry mode in the deploy template: `sls package` with the schema parameters, read back from
 * the CloudFormation template, and the bad ones refused before anything is bundled.
 */
const run = promisify(execFile);
const REGISTRY_URL = 'https://psrc-8kz20.eu-west-1.aws.confluent.cloud';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:order-publisher/schema-registry-AbCdEf';
const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BROKERS = 'b-1.orders.x1.c3.kafka.eu-west-1.amazonaws.com:9092';
const directories: string[] = [];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown;
  Condition?: unknown;
}

async function slsPackage(name: string, params: Record<string, string>) {
  const directory = mkdtempSync(join(tmpdir(), `sls-${name}-`));
  directories.push(directory);
  const args = ['serverless', 'package', '--stage', 'dev', '--package', directory];
  for (const [param, value] of Object.entries(params)) args.push('--param', `${param}=${value}`);
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', ESBUILD_WORK_FOLDER: `.esbuild-package-${name}` };
  return run('npx', args, { timeout: 120_000, env }).then(
    ({ stdout, stderr }) => ({
      failed: false,
      output: stdout + stderr,
      resources: JSON.parse(readFileSync(join(directory, 'cloudformation-template-update-stack.json'), 'utf8')).Resources as Resources,
    }),
    (error: { stdout?: string; stderr?: string }) => ({
      failed: true,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      resources: {} as Resources,
    }),
  );
}

const environment = (resources: Resources, name: string) =>
  ((resources[`${name}LambdaFunction`]?.Properties.Environment as { Variables: Record<string, string> }) ?? { Variables: {} }).Variables;

const registryStatements = (resources: Resources): Statement[] =>
  ((resources.IamRoleLambdaExecution?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .filter((statement) => statement.Action.some((action) => /^(secretsmanager|kms):/.test(action)));

const REFUSED: [string, Record<string, string>, string][] = [
  ['a format without a registry', { schemaFormat: 'avro' }, '--param schemaFormat set without --param "schemaRegistryUrl=…"'],
  [
    'a registry that is not an http(s) URL',
    { schemaRegistryUrl: 'psrc-8kz20.confluent.cloud' },
    '--param "schemaRegistryUrl=…" must be an http(s) URL',
  ],
  [
    'basic auth without a secret',
    { schemaRegistryUrl: REGISTRY_URL, schemaRegistryAuth: 'basic' },
    '--param "schemaRegistrySecretArn=…" is required with schemaRegistryAuth=basic',
  ],
  ['a loopback registry', { schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7' }, 'which a Lambda cannot reach'],
  [
    'an unknown format',
    { schemaRegistryUrl: REGISTRY_URL, schemaFormat: 'protobuf' },
    '--param schemaFormat must be one of json, avro, got "protobuf"',
  ],
];

let packaged: Awaited<ReturnType<typeof slsPackage>>;
let plain: Awaited<ReturnType<typeof slsPackage>>;
let refused: Awaited<ReturnType<typeof slsPackage>>[];

beforeAll(async () => {
  const refusals = Promise.all(
    REFUSED.map(([, params], index) => slsPackage(`registry-refused-${index}`, { kafkaBrokers: BROKERS, ...params })),
  );
  packaged = await slsPackage('registry', {
    kafkaBrokers: BROKERS,
    schemaRegistryUrl: `${REGISTRY_URL}/`,
    schemaFormat: 'avro',
    schemaRegistryAuth: 'basic',
    schemaRegistrySecretArn: SECRET_ARN,
    schemaRegistryKmsKeyArn: KMS_KEY_ARN,
  });
  plain = await slsPackage('registry-plain', { kafkaBrokers: BROKERS });
  refused = await refusals;
}, 360_000);

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('sls package in registry mode', () => {
  it('passes the registry variables to the publishing functions', () => {
    expect(packaged.failed, packaged.output).toBe(false);
    for (const name of ['PublishOrder', 'PublishOrdersBatch']) {
      expect(environment(packaged.resources, name)).toMatchObject({
        SCHEMA_REGISTRY_URL: REGISTRY_URL,
        SCHEMA_FORMAT: 'avro',
        SCHEMA_SUBJECT_STRATEGY: '',
        SCHEMA_REGISTRY_AUTH: 'basic',
        SCHEMA_REGISTRY_SECRET_ARN: SECRET_ARN,
        SCHEMA_AUTO_REGISTER: '',
      });
    }
  });

  it("may read the registry's secret, and decrypt it with its key only through Secrets Manager", () => {
    expect(registryStatements(packaged.resources)).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: SECRET_ARN },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: KMS_KEY_ARN,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      },
    ]);
  });

  it('without a registry, sets the variables empty (plain JSON) and grants no secret', () => {
    expect(environment(plain.resources, 'PublishOrder')).toMatchObject({ SCHEMA_REGISTRY_URL: '', SCHEMA_FORMAT: '' });
    expect(registryStatements(plain.resources)).toEqual([]);
  });

  it.each(REFUSED.map(([what, , says], index) => [what, index, says] as const))('refuses %s, naming the parameter', (_, index, says) => {
    expect(refused[index]?.failed).toBe(true);
    expect(refused[index]?.output).toContain(says);
  });
});
