import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { KafkaUnavailableError, PublishOutcomeUnknownError, PublishRejectedError } from '../../lib/errors';
import { makeIdempotentPublishing } from '../../lib/idempotency/idempotent-publishing';
import type { IdempotencyStore } from '../../lib/idempotency/store';
import { cloudWatchMetrics } from '../../lib/metrics';
import { makeOrderPublishing } from '../../lib/publish';
import type { PublishResult } from '../../lib/publisher';
import { captureOutput } from '../support/captured-output';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { FakePublisher, RecordingLogger } from '../support/fake-publisher';
import { TEST_POLICY } from '../support/publishing';

/**
 * What `sls package` generates (no AWS credentials needed) for the deploy parameters, read back
 * from the CloudFormation template: the only way to check a deploy without an AWS account.
 */
const run = promisify(execFile);
const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0f3c2d1e-5b6a-4c1b-9a57-2d3c4b5a6e7f-3';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf';
const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ALARM_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:order-publisher-alarms';
const FUNCTIONS = ['PublishOrder', 'PublishOrdersBatch', 'Health', 'Openapi'];
const PUBLISHING_FUNCTIONS = ['PublishOrder', 'PublishOrdersBatch'];
const BROKERS = ['1', '2', '3'];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>;
interface Packaged {
  resources: Resources;
  output: string;
}

const directories: string[] = [];
const slsEnv = (folder: string) => ({ ...process.env, SLS_TELEMETRY_DISABLED: '1', ESBUILD_WORK_FOLDER: `.esbuild-package-${folder}` });

async function slsPackage(stage: string, params: Record<string, string>): Promise<Packaged> {
  const directory = mkdtempSync(join(tmpdir(), `sls-${stage}-`));
  directories.push(directory);
  const args = ['serverless', 'package', '--stage', stage, '--package', directory];
  for (const [name, value] of Object.entries(params)) args.push('--param', `${name}=${value}`);
  const { stdout, stderr } = await run('npx', args, { timeout: 120_000, env: slsEnv(stage) });
  const template = JSON.parse(readFileSync(join(directory, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { resources: template.Resources as Resources, output: stdout + stderr };
}

/**
 * A package that must be refused: what serverless printed. A refusal comes while the variables
 * resolve, before any bundling, so these runs are short and run side by side.
 */
async function slsRefused(name: string, params: Record<string, string>): Promise<{ failed: boolean; output: string }> {
  const directory = mkdtempSync(join(tmpdir(), `sls-${name}-`));
  directories.push(directory);
  const args = ['serverless', 'package', '--stage', 'dev', '--package', directory];
  for (const [param, value] of Object.entries(params)) args.push('--param', `${param}=${value}`);
  return run('npx', args, { timeout: 120_000, env: slsEnv(name) }).then(
    ({ stdout, stderr }) => ({ failed: false, output: stdout + stderr }),
    (error: { stdout?: string; stderr?: string }) => ({ failed: true, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
}

/**
 * Bad deploy parameters, each refused by `sls package` with a message naming the parameter. To
 * keep the runs few, each gives a bad maxConcurrency and one bad parameter of the MSK alarms:
 * serverless reports every variable it cannot resolve, so both messages come out of one run.
 */
const REFUSED: { maxConcurrency: string; msk: Record<string, string>; says: string }[] = [
  {
    maxConcurrency: '0',
    msk: { mskClusterName: 'orders' },
    says: '--param "mskBrokerIds=…" is required with mskClusterName: the ids of its brokers, comma-separated',
  },
  {
    maxConcurrency: '-1',
    msk: { mskClusterName: 'orders', mskBrokerIds: '1,two,3' },
    says: '--param mskBrokerIds must be broker ids, whole numbers such as 1,2,3, got "two"',
  },
  {
    maxConcurrency: '1.5',
    msk: { mskBrokerIds: '1,2,3' },
    says: '--param mskBrokerIds and mskClusterName go together: give both or neither',
  },
  {
    maxConcurrency: 'abc',
    msk: { kafkaAuth: 'iam', mskClusterArn: CLUSTER_ARN, mskClusterName: 'payments', mskBrokerIds: '1,2,3' },
    says: '--param mskClusterName is "payments", but mskClusterArn is the cluster "orders"',
  },
];

/** The statements of the Lambda role that concern Kafka, secrets and keys. */
function kafkaStatements(resources: Resources) {
  const policies = resources.IamRoleLambdaExecution?.Properties.Policies as {
    PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] };
  }[];
  return policies
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .filter((statement) => statement.Action.some((action) => /^(kafka-cluster|secretsmanager|kms):/.test(action)));
}

/** The statements of the Lambda role that concern DynamoDB. */
function dynamoStatements(resources: Resources) {
  const policies = resources.IamRoleLambdaExecution?.Properties.Policies as {
    PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] };
  }[];
  return policies
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
}

const fn = (resources: Resources, name: string) => resources[`${name}LambdaFunction`]?.Properties as Record<string, unknown>;

let iam: Packaged;
let scram: Packaged;
let local: Packaged;
let plain: { failed: boolean; output: string };
let refused: { failed: boolean; output: string }[];

beforeAll(async () => {
  // The refusals, beside the packages: they stop before bundling.
  const refusals = Promise.all([
    slsRefused('plain', {}),
    ...REFUSED.map(({ maxConcurrency, msk }, index) =>
      slsRefused(`refused-${index}`, { allowLocalBrokers: 'true', maxConcurrency, ...msk }),
    ),
  ]);
  // One after another: each run bundles the four functions with esbuild.
  iam = await slsPackage('prod', {
    kafkaAuth: 'iam',
    mskClusterArn: CLUSTER_ARN,
    kafkaBrokers: 'b-1.orders.x1.c3.kafka.eu-west-1.amazonaws.com:9098,b-2.orders.x1.c3.kafka.eu-west-1.amazonaws.com:9098',
    subnetIds: 'subnet-0a1b2c3d,subnet-4e5f6a7b',
    securityGroupIds: 'sg-0123abcd',
    vpcId: 'vpc-0a1b2c3d',
    routeTableIds: 'rtb-0a1b2c3d,rtb-4e5f6a7b',
    alarmTopicArn: ALARM_TOPIC_ARN,
    alarmPublishLatencyP99Ms: '1500',
    throttleRateLimit: '25',
    throttleBurstLimit: '50',
    logRetentionInDays: '90',
    maxConcurrency: '450',
    mskClusterName: 'orders',
    mskBrokerIds: BROKERS.join(','),
  });
  scram = await slsPackage('staging', {
    kafkaAuth: 'scram',
    scramSecretArn: SECRET_ARN,
    scramKmsKeyArn: KMS_KEY_ARN,
    kafkaBrokers: 'b-1.orders.x1.c3.kafka.eu-west-1.amazonaws.com:9096',
    kafkaCompression: 'gzip',
    subnetIds: 'subnet-0a1b2c3d',
    securityGroupIds: 'sg-0123abcd',
    // t3 brokers: 4 new connections a second; connections alarmed at 90 % of 3,000.
    mskClusterName: 'orders',
    mskBrokerIds: ' 1, 2 ,3 ',
    mskConnectionRateQuota: '4',
    alarmMskConnectionsPercent: '90',
  });
  // As the bench packages a build against its local broker.
  local = await slsPackage('dev', { allowLocalBrokers: 'true' });
  [plain, ...refused] = await refusals;
}, 360_000);

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('sls package for production with MSK IAM', () => {
  it.each(FUNCTIONS)('%s runs on nodejs24.x, arm64, with active tracing', (name) => {
    expect(fn(iam.resources, name)).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
  });

  it("runs every function in the cluster's VPC", () => {
    for (const name of FUNCTIONS) {
      expect(fn(iam.resources, name).VpcConfig).toEqual({
        SubnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
        SecurityGroupIds: ['sg-0123abcd'],
      });
    }
  });

  it('grants Connect and WriteDataIdempotently on the cluster, DescribeTopic, WriteData and ReadData on the topic, nothing else', () => {
    expect(kafkaStatements(iam.resources)).toEqual([
      { Effect: 'Allow', Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'], Resource: CLUSTER_ARN },
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData', 'kafka-cluster:ReadData'],
        Resource: 'arn:aws:kafka:eu-west-1:123456789012:topic/orders/0f3c2d1e-5b6a-4c1b-9a57-2d3c4b5a6e7f-3/order-events',
      },
    ]);
  });

  it('protects the API with a key and a throttled usage plan; the contract stays public', () => {
    expect(iam.resources.ApiGatewayApiKey1?.Properties).toMatchObject({ Enabled: true, Name: 'order-event-publisher-prod' });
    expect(iam.resources.ApiGatewayUsagePlan?.Properties).toMatchObject({ Throttle: { RateLimit: 25, BurstLimit: 50 } });
    expect(iam.resources.ApiGatewayUsagePlanKey1?.Type).toBe('AWS::ApiGateway::UsagePlanKey');
    for (const method of ['ApiGatewayMethodOrdersPost', 'ApiGatewayMethodOrdersBatchPost', 'ApiGatewayMethodHealthGet']) {
      expect(iam.resources[method]?.Properties.ApiKeyRequired, method).toBe(true);
    }
    expect(iam.resources.ApiGatewayMethodOpenapijsonGet?.Properties.ApiKeyRequired).toBe(false);
  });

  it('keeps every log group for the configured days', () => {
    for (const name of FUNCTIONS) expect(iam.resources[`${name}LogGroup`]?.Properties.RetentionInDays).toBe(90);
  });

  it('gives the functions their Kafka settings', () => {
    expect(fn(iam.resources, 'PublishOrder').Environment).toEqual({
      Variables: expect.objectContaining({
        KAFKA_BROKERS: 'b-1.orders.x1.c3.kafka.eu-west-1.amazonaws.com:9098,b-2.orders.x1.c3.kafka.eu-west-1.amazonaws.com:9098',
        KAFKA_TOPIC: 'order-events',
        KAFKA_AUTH: 'iam',
        KAFKA_CLIENT_ID: 'order-producer-prod',
        KAFKA_COMPRESSION: 'snappy',
        PUBLISH_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'INFO',
      }),
    });
    expect(fn(scram.resources, 'PublishOrdersBatch').Environment).toEqual({
      Variables: expect.objectContaining({ KAFKA_COMPRESSION: 'gzip' }),
    });
  });

  it("keeps the timeout under API Gateway's 29 s and above the handler's deadline", () => {
    for (const name of ['PublishOrder', 'PublishOrdersBatch']) {
      const timeoutSeconds = fn(iam.resources, name).Timeout as number;
      expect(timeoutSeconds).toBeLessThan(29);
      expect(timeoutSeconds * 1000).toBeGreaterThan(10_000 + 500);
    }
  });

  it('warns about nothing but the nodejs24.x runtime name that serverless 3.40 does not know', () => {
    const warnings = iam.output.split('\n').filter((line) => /warn/i.test(line));
    expect(warnings).toEqual(['Warning: Invalid configuration encountered']);
    expect(iam.output).toContain("at 'provider.runtime'");
  });
});

describe('the idempotency store', () => {
  it('is an on-demand DynamoDB table keyed by id, whose items expire by TTL, protected from deletion in prod only', () => {
    expect(iam.resources.IdempotencyTable).toEqual({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: 'order-event-publisher-prod-idempotency',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
    expect(scram.resources.IdempotencyTable?.Properties.DeletionProtectionEnabled).toBe(false);
  });

  it.each([
    ['iam', () => iam],
    ['scram', () => scram],
    ['none', () => local],
  ])('with kafkaAuth=%s, may get, put, update and delete items of that table only', (_, packaged) => {
    expect(dynamoStatements(packaged().resources)).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: [{ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] }],
      },
    ]);
  });

  it('is named to the functions, with its settings', () => {
    expect(fn(iam.resources, 'PublishOrdersBatch').Environment).toEqual({
      Variables: expect.objectContaining({
        IDEMPOTENCY_TABLE: 'order-event-publisher-prod-idempotency',
        IDEMPOTENCY_TTL_SECONDS: '86400',
        IDEMPOTENCY_KEY_REQUIRED: 'false',
      }),
    });
  });

  it('is reached from the VPC through a gateway endpoint when the route tables are given', () => {
    expect(iam.resources.DynamoDbGatewayEndpoint).toEqual({
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcEndpointType: 'Gateway',
        VpcId: 'vpc-0a1b2c3d',
        RouteTableIds: ['rtb-0a1b2c3d', 'rtb-4e5f6a7b'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
        ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.dynamodb' },
      },
    });
    expect(scram.resources.DynamoDbGatewayEndpoint).toBeUndefined();
  });
});

describe('sls package with SCRAM', () => {
  it('may read that one secret, and decrypt with its key only through Secrets Manager', () => {
    expect(kafkaStatements(scram.resources)).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: SECRET_ARN },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: KMS_KEY_ARN,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      },
    ]);
    expect(fn(scram.resources, 'PublishOrder').Environment).toEqual({
      Variables: expect.objectContaining({ KAFKA_AUTH: 'scram', KAFKA_SCRAM_SECRET_ARN: SECRET_ARN }),
    });
  });
});

describe('sls package without parameters', () => {
  it('refuses the local broker a Lambda cannot reach, naming the parameter to give and the docs', () => {
    expect(plain.failed).toBe(true);
    expect(plain.output).toContain('--param "kafkaBrokers=…" is required to deploy: the brokers are 127.0.0.1:9092');
    expect(plain.output).toContain('docs/deploy.md');
  });
});

describe('sls package for local use (auth none, allowLocalBrokers=true, as the bench packages)', () => {
  it('has no VPC, no VPC policy, and no MSK, secret or key permissions', () => {
    for (const name of FUNCTIONS) expect(fn(local.resources, name).VpcConfig).toBeUndefined();
    expect(kafkaStatements(local.resources)).toEqual([]);
    expect(local.output).not.toContain("at 'provider.vpc'");
    expect(local.resources.IamRoleLambdaExecution?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(fn(local.resources, 'PublishOrder').Environment).toEqual({
      Variables: expect.objectContaining({ KAFKA_AUTH: 'none', KAFKA_BROKERS: '127.0.0.1:9092' }),
    });
  });
});

/** "namespace|metric|name=value,…" for every metric of the Embedded Metric Format lines in `lines`. */
function emittedMetrics(lines: readonly string[]): Set<string> {
  const emitted = new Set<string>();
  for (const line of lines.flatMap((chunk) => chunk.split('\n'))) {
    if (!line.startsWith('{"_aws"')) continue;
    const emf = JSON.parse(line) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    } & Record<string, unknown>;
    for (const { Namespace, Dimensions, Metrics } of emf._aws.CloudWatchMetrics) {
      for (const dimensions of Dimensions) {
        const values = [...dimensions].sort().map((name) => `${name}=${emf[name]}`);
        for (const { Name } of Metrics) emitted.add(`${Namespace}|${Name}|${values.join(',')}`);
      }
    }
  }
  return emitted;
}

const alarmsOf = (resources: Resources) =>
  Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm') as unknown as [
    string,
    {
      Properties: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[]; Threshold: number } & Record<
        string,
        unknown
      >;
    },
  ][];

describe('alarms and the dashboard', () => {
  const output = captureOutput();

  /** Real invocations, printing their metrics as in Lambda (inside a test, where the output is captured). */
  async function emittedByRealInvocations(): Promise<Set<string>> {
    // Real invocations, printing their metrics as in Lambda: one of each outcome the alarms watch.
    const metrics = cloudWatchMetrics();
    const logger = new RecordingLogger();
    const answers: PublishResult[][] = [
      [{ status: 'written', delivery: { topic: 'order-events', partition: 0, offset: 1, timestamp: new Date().toISOString() } }],
      ...[new KafkaUnavailableError('down'), new PublishOutcomeUnknownError('lost'), new PublishRejectedError('too large')].map((error) => [
        { status: 'failed' as const, error },
      ]),
    ];
    const publisher = new FakePublisher(() => answers.shift() ?? []);
    const store: IdempotencyStore = {
      claim: async () => {
        throw new Error('DynamoDB did not answer');
      },
      complete: async () => {},
      completePartial: async () => {},
      release: async () => {},
      markUnknown: async () => {},
    };
    const orders = makeIdempotentPublishing({
      orders: makeOrderPublishing({ publisher, logger, metrics, now: Date.now }),
      store,
      policy: TEST_POLICY,
      logger,
      metrics,
      now: Date.now,
    });
    const handler = makePublishOrderHandler({ orders, logger, metrics, deadline: { boundMs: 5_000, marginMs: 500 } });
    const captured: string[] = [];
    for (let invocation = 0; invocation < 4; invocation++) await handler(postEvent(exampleOrder()), lambdaContext());
    await handler(postEvent(exampleOrder(), { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k' } }), lambdaContext());
    captured.push(...output.written);
    return emittedMetrics(captured);
  }

  it('watches only metrics the code emits, with their namespace and dimensions, as a real invocation prints them', async () => {
    const emitted = await emittedByRealInvocations();
    const custom = alarmsOf(iam.resources).filter(([, alarm]) => alarm.Properties.Namespace === 'OrderPublisher');
    expect(custom.map(([name]) => name).sort()).toEqual([
      'AlarmIdempotencyStoreErrors',
      'AlarmPublishFailuresKafkaUnavailable',
      'AlarmPublishFailuresPublishOutcomeUnknown',
      'AlarmPublishFailuresPublishRejected',
      'AlarmPublishLatencyP99',
    ]);
    for (const [name, { Properties }] of custom) {
      const dimensions = Properties.Dimensions.map(({ Name, Value }) => `${Name}=${Value}`).sort();
      expect(emitted, name).toContain(`${Properties.Namespace}|${Properties.MetricName}|${dimensions.join(',')}`);
    }
  });

  it("watches the API's 5xx rate and latency, and each publishing function's errors and throttles", () => {
    const api = [
      { Name: 'ApiName', Value: 'prod-order-event-publisher' },
      { Name: 'Stage', Value: 'prod' },
    ];
    expect(iam.resources.ApiGatewayRestApi?.Properties.Name).toBe('prod-order-event-publisher');
    expect(iam.resources.AlarmApi5xxRate?.Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: api,
      Statistic: 'Average',
      Threshold: 0.05,
    });
    expect(iam.resources.AlarmApiLatencyP99?.Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: api,
      ExtendedStatistic: 'p99',
    });
    for (const fn of ['PublishOrder', 'PublishOrdersBatch']) {
      for (const metric of ['Errors', 'Throttles']) {
        expect(iam.resources[`Alarm${fn}${metric}`]?.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } }],
        });
      }
    }
  });

  it('takes its thresholds from the deploy parameters', () => {
    expect(iam.resources.AlarmPublishLatencyP99?.Properties.Threshold).toBe(1500);
    expect(scram.resources.AlarmPublishLatencyP99?.Properties.Threshold).toBe(2000);
  });

  it('notifies the SNS topic of alarmTopicArn, and nobody without one', () => {
    for (const [name, { Properties }] of alarmsOf(iam.resources)) {
      expect(Properties.AlarmActions, name).toEqual([ALARM_TOPIC_ARN]);
      expect(Properties.OKActions, name).toEqual([ALARM_TOPIC_ARN]);
    }
    for (const [name, { Properties }] of alarmsOf(scram.resources)) expect(Properties.AlarmActions, name).toBeUndefined();
    const ownAlarms = (resources: Resources) => alarmsOf(resources).filter(([, alarm]) => alarm.Properties.Namespace !== 'AWS/Kafka');
    expect(ownAlarms(scram.resources)).toHaveLength(ownAlarms(iam.resources).length);
  });

  it('has a dashboard with a row each for requests, orders, latency, failures and Lambda, and the brokers when the cluster is given', () => {
    const lambdaRow = ['Lambda duration (ms) and concurrency', 'Cold starts (InitDuration of REPORT lines)'];
    const rows = [
      ['Requests by status', 'Problems answered, by status'],
      ['Orders published', 'Batch size'],
      ['Publish latency (ms)', 'API latency (ms)'],
      ['Publish failures, by reason', 'Idempotency: replays, conflicts, store errors, reconciliations'],
      lambdaRow,
    ];
    expect(dashboardRows(iam.resources)).toEqual([
      ...rows,
      ['MSK client connections per broker (IAM, quota 3000)', 'MSK new connections per second per broker (quota 100/s)'],
    ]);
    expect(dashboardRows(local.resources)).toEqual(rows);
  });

  it('draws maxConcurrency on the concurrency graph when it is given', () => {
    const concurrency = (resources: Resources) =>
      dashboardWidgets(resources).find(({ properties }) => properties.title === 'Lambda duration (ms) and concurrency');
    expect(concurrency(iam.resources)?.properties.annotations).toEqual({
      horizontal: [{ label: 'maxConcurrency (each function)', value: 450, yAxis: 'right' }],
    });
    expect(concurrency(local.resources)?.properties.annotations).toBeUndefined();
  });
});

interface Widget {
  y: number;
  properties: { title: string; metrics?: unknown[][]; annotations?: unknown; stat?: string; period?: number };
}
const dashboardWidgets = (resources: Resources) =>
  (JSON.parse(resources.Dashboard?.Properties.DashboardBody as string) as { widgets: Widget[] }).widgets;

/** The dashboard's widget titles, row by row. */
function dashboardRows(resources: Resources): string[][] {
  const rows = new Map<number, string[]>();
  for (const widget of dashboardWidgets(resources)) rows.set(widget.y, [...(rows.get(widget.y) ?? []), widget.properties.title]);
  return [...rows.values()];
}

describe('maxConcurrency: the reserved concurrency of the publishing functions', () => {
  it('reserves maxConcurrency for each publishing function, and for no other function', () => {
    for (const name of PUBLISHING_FUNCTIONS) expect(fn(iam.resources, name).ReservedConcurrentExecutions, name).toBe(450);
    for (const name of ['Health', 'Openapi', 'Docs']) {
      expect(fn(iam.resources, name), name).toBeDefined();
      expect(fn(iam.resources, name).ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it('reserves nothing when it is not given', () => {
    for (const packaged of [scram, local]) {
      for (const name of [...FUNCTIONS, 'Docs']) expect(fn(packaged.resources, name).ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it.each(REFUSED.map(({ maxConcurrency }, index) => ({ maxConcurrency, index })))(
    'refuses maxConcurrency=$maxConcurrency at sls package, naming the parameter',
    ({ maxConcurrency, index }) => {
      expect(refused[index]?.failed).toBe(true);
      expect(refused[index]?.output).toContain(
        `--param "maxConcurrency=…" must be a positive integer (the reserved concurrency of each publishing function; see docs/deploy.md), got "${maxConcurrency}"`,
      );
    },
  );
});

describe("the MSK cluster's connection alarms", () => {
  const kafkaAlarms = (resources: Resources) =>
    Object.fromEntries(alarmsOf(resources).filter(([, alarm]) => alarm.Properties.Namespace === 'AWS/Kafka'));
  const broker = (id: string) => [
    { Name: 'Cluster Name', Value: 'orders' },
    { Name: 'Broker ID', Value: id },
  ];
  const everyMinute = { Statistic: 'Sum', Period: 60, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'missing' };

  it('with the cluster name and its brokers, has three alarms per broker with IAM: connections, new connections a second, refusals', () => {
    expect(Object.keys(kafkaAlarms(iam.resources)).sort()).toEqual(
      BROKERS.flatMap((id) => [
        `AlarmMskBroker${id}ClientConnections`,
        `AlarmMskBroker${id}ConnectionCreationRate`,
        `AlarmMskBroker${id}IamTooManyConnections`,
      ]).sort(),
    );
  });

  it.each(BROKERS)('alarms when broker %s holds 80 %% of its 3,000 IAM client connections for three minutes', (id) => {
    expect(iam.resources[`AlarmMskBroker${id}ClientConnections`]?.Properties).toMatchObject({
      ...everyMinute,
      AlarmName: `order-event-publisher-prod-msk-broker-${id}-client-connections`,
      Namespace: 'AWS/Kafka',
      MetricName: 'ClientConnectionCount',
      Dimensions: [...broker(id), { Name: 'Client Authentication', Value: 'IAM' }],
      Threshold: 2400,
      EvaluationPeriods: 3,
      AlarmActions: [ALARM_TOPIC_ARN],
    });
  });

  it.each(BROKERS)('alarms when broker %s opens 80 %% of its 100 new connections a second, and when it refuses any', (id) => {
    expect(iam.resources[`AlarmMskBroker${id}ConnectionCreationRate`]?.Properties).toMatchObject({
      ...everyMinute,
      Namespace: 'AWS/Kafka',
      MetricName: 'ConnectionCreationRate',
      Dimensions: broker(id),
      Threshold: 80,
      EvaluationPeriods: 1,
    });
    expect(iam.resources[`AlarmMskBroker${id}IamTooManyConnections`]?.Properties).toMatchObject({
      ...everyMinute,
      Namespace: 'AWS/Kafka',
      MetricName: 'IAMTooManyConnections',
      Dimensions: broker(id),
      Threshold: 1,
      EvaluationPeriods: 1,
    });
  });

  it('takes the quotas and percentages from the parameters, and the Client Authentication from kafkaAuth (SCRAM, t3 brokers)', () => {
    const alarms = kafkaAlarms(scram.resources);
    expect(Object.keys(alarms)).toHaveLength(2 * BROKERS.length);
    for (const id of BROKERS) {
      expect(alarms[`AlarmMskBroker${id}ClientConnections`]?.Properties).toMatchObject({
        MetricName: 'ClientConnectionCount',
        Dimensions: [...broker(id), { Name: 'Client Authentication', Value: 'SASL_SCRAM' }],
        Threshold: 2700,
      });
      expect(alarms[`AlarmMskBroker${id}ConnectionCreationRate`]?.Properties).toMatchObject({
        MetricName: 'ConnectionCreationRate',
        Dimensions: broker(id),
        Threshold: 3.2,
      });
    }
  });

  it('graphs each broker on the dashboard, as the alarms see it, with the alarm and the quota drawn', () => {
    const [connections, rate] = dashboardWidgets(iam.resources).filter(({ properties }) => properties.title.startsWith('MSK '));
    expect(connections?.properties).toMatchObject({
      stat: 'Sum',
      period: 60,
      metrics: BROKERS.map((id) => [
        'AWS/Kafka',
        'ClientConnectionCount',
        'Cluster Name',
        'orders',
        'Broker ID',
        id,
        'Client Authentication',
        'IAM',
        { label: `broker ${id}` },
      ]),
      annotations: {
        horizontal: [
          { label: 'alarm', value: 2400 },
          { label: 'quota', value: 3000 },
        ],
      },
    });
    expect(rate?.properties.metrics).toEqual([
      ...BROKERS.map((id) => ['AWS/Kafka', 'ConnectionCreationRate', 'Cluster Name', 'orders', 'Broker ID', id, { label: `broker ${id}` }]),
      ...BROKERS.map((id) => [
        'AWS/Kafka',
        'IAMTooManyConnections',
        'Cluster Name',
        'orders',
        'Broker ID',
        id,
        { label: `broker ${id} refused`, yAxis: 'right' },
      ]),
    ]);
  });

  it('has none without the cluster name', () => {
    expect(kafkaAlarms(local.resources)).toEqual({});
    expect(dashboardWidgets(local.resources).filter(({ properties }) => properties.title.startsWith('MSK '))).toEqual([]);
  });

  it.each(REFUSED.map(({ msk, says }, index) => ({ params: JSON.stringify(msk), says, index })))(
    'refuses $params at sls package, naming the parameter',
    ({ says, index }) => {
      expect(refused[index]?.failed).toBe(true);
      expect(refused[index]?.output).toContain(says);
    },
  );
});
