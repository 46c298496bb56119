// Values of serverless.yml that depend on the deploy parameters (--param "name=value"). YAML
// cannot branch on a parameter or split a list; serverless v3 calls these functions instead.
// Every IAM statement names its resources: no "Resource": "*".

const param = (resolveVariable, name) => resolveVariable(`param:${name}`).then((value) => String(value ?? '').trim());
const list = (value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> → the ARN of one of its topics. */
function topicArn(clusterArn, topic) {
  const match = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+)\/([^/]+)$/.exec(clusterArn);
  if (!match)
    throw new Error(
      `mskClusterArn must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>), got "${clusterArn}"`,
    );
  const [, partition, region, account, name, uuid] = match;
  return `arn:${partition}:kafka:${region}:${account}:topic/${name}/${uuid}/${topic}`;
}

function required(value, name, auth) {
  if (!value) throw new Error(`--param "${name}=…" is required when kafkaAuth=${auth} (docs/deploy.md)`);
  return value;
}

/** Commands that run the functions here, where the local broker is the point: serverless-offline and invoke local. */
const LOCAL_COMMANDS = [['offline'], ['invoke', 'local']];
function runsLocally(argv = process.argv.slice(2)) {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return LOCAL_COMMANDS.some((command) => command.every((word, index) => words[index] === word));
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0)$/i;

/**
 * The brokers a deployed Lambda connects to. The default (127.0.0.1:9092) serves serverless-offline;
 * a Lambda would answer 503 to every order with it, so `sls package` and `sls deploy` refuse
 * loopback brokers, and say which parameter to give.
 */
module.exports.kafkaBrokers = async ({ resolveVariable }) => {
  const brokers = await param(resolveVariable, 'kafkaBrokers');
  if (runsLocally() || (await param(resolveVariable, 'allowLocalBrokers')) === 'true') return brokers;
  const loopback = list(brokers).filter((broker) => LOOPBACK.test(broker.replace(/:\d+$/, '')));
  if (loopback.length > 0 || list(brokers).length === 0) {
    throw new Error(
      `--param "kafkaBrokers=…" is required to deploy: the brokers are ${brokers || 'none'}, which a Lambda cannot reach (MSK: port 9098 for IAM, 9096 for SCRAM; see docs/deploy.md)`,
    );
  }
  return brokers;
};

/**
 * The reserved concurrency of each publishing function (serverless.yml: reservedConcurrency):
 * at most that many environments, and so that many sets of Kafka connections, per function.
 * docs/deploy.md derives the value from the brokers' connection quota. Empty (the default): no
 * reservation, and null, which serverless.yml's `, null` fallback turns into no
 * ReservedConcurrentExecutions at all.
 */
module.exports.maxConcurrency = async ({ resolveVariable }) => {
  const value = await param(resolveVariable, 'maxConcurrency');
  if (value === '') return null;
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new Error(
      `--param "maxConcurrency=…" must be a positive integer (the reserved concurrency of each publishing function; see docs/deploy.md), got "${value}"`,
    );
  }
  return Number(value);
};

/**
 * Registry mode (docs/deploy.md#schema-registry): SCHEMA_REGISTRY_URL, checked with the other
 * schema parameters before anything is packaged. Empty (the default): values are plain JSON, and
 * the other schema parameters must be empty too. Like the brokers, a loopback registry is refused
 * unless the functions run here.
 */
module.exports.schemaRegistryUrl = async ({ resolveVariable }) => {
  const url = await param(resolveVariable, 'schemaRegistryUrl');
  const others = {};
  for (const name of ['schemaFormat', 'schemaSubjectStrategy', 'schemaRegistryAuth', 'schemaRegistrySecretArn', 'schemaAutoRegister']) {
    others[name] = await param(resolveVariable, name);
  }
  if (!url) {
    const set = Object.keys(others).filter((name) => others[name] !== '');
    if (set.length > 0)
      throw new Error(`--param ${set.join(', ')} set without --param "schemaRegistryUrl=…": give the registry, or none of them`);
    return '';
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new Error(
      '--param "schemaRegistryUrl=…" must be an http(s) URL without credentials, query or fragment (the credentials go in the secret of schemaRegistrySecretArn)',
    );
  }
  const local = runsLocally() || (await param(resolveVariable, 'allowLocalBrokers')) === 'true';
  if (!local && LOOPBACK.test(parsed.hostname)) {
    throw new Error(
      `--param "schemaRegistryUrl=…" is ${url}, which a Lambda cannot reach: give the registry's address (docs/deploy.md#schema-registry)`,
    );
  }
  const allowed = {
    schemaFormat: ['', 'json', 'avro'],
    schemaSubjectStrategy: ['', 'topic', 'record', 'topic-record'],
    schemaRegistryAuth: ['', 'none', 'basic'],
    schemaAutoRegister: ['', 'true', 'false'],
  };
  for (const [name, values] of Object.entries(allowed)) {
    if (!values.includes(others[name]))
      throw new Error(`--param ${name} must be one of ${values.filter(Boolean).join(', ')}, got "${others[name]}"`);
  }
  if (others.schemaRegistryAuth === 'basic' && !SECRET_ARN.test(others.schemaRegistrySecretArn)) {
    throw new Error(
      '--param "schemaRegistrySecretArn=…" is required with schemaRegistryAuth=basic: the ARN of a Secrets Manager secret holding {"username","password"}',
    );
  }
  if (others.schemaRegistrySecretArn && others.schemaRegistryAuth !== 'basic') {
    throw new Error('--param schemaRegistrySecretArn is set, but schemaRegistryAuth is not basic');
  }
  return url.replace(/\/+$/, '');
};

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** The Lambda runs in the MSK cluster's VPC when subnets and security groups are given. */
module.exports.vpc = async ({ resolveVariable }) => {
  const subnetIds = list(await param(resolveVariable, 'subnetIds'));
  const securityGroupIds = list(await param(resolveVariable, 'securityGroupIds'));
  // No VPC: empty lists pass the schema, and deploy/drop-empty-vpc.js removes them before packaging.
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return { subnetIds, securityGroupIds };
  if (subnetIds.length === 0 || securityGroupIds.length === 0) {
    throw new Error('--param subnetIds and securityGroupIds go together: give both (comma-separated) or neither');
  }
  return { subnetIds, securityGroupIds };
};

/** The idempotency table: its four item operations, on that table only. */
const idempotencyStatement = {
  Effect: 'Allow',
  Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  Resource: [{ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] }],
};

/** The production stage's table cannot be deleted by a stack update or by hand. */
module.exports.deletionProtection = async ({ resolveVariable }) => (await resolveVariable('sls:stage')) === 'prod';

/**
 * Functions in a VPC reach DynamoDB through a gateway endpoint on the subnets' route tables (no
 * NAT needed, no charge). Given vpcId and routeTableIds, the stack adds one; without them, the VPC
 * must already route to DynamoDB (docs/deploy.md).
 */
module.exports.dynamoDbEndpoint = async ({ resolveVariable }) => {
  const vpcId = await param(resolveVariable, 'vpcId');
  const routeTableIds = list(await param(resolveVariable, 'routeTableIds'));
  if (!vpcId && routeTableIds.length === 0) return {};
  if (!vpcId || routeTableIds.length === 0) throw new Error('--param vpcId and routeTableIds go together: give both or neither');
  return {
    Resources: {
      DynamoDbGatewayEndpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          VpcEndpointType: 'Gateway',
          VpcId: vpcId,
          RouteTableIds: routeTableIds,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
          ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.dynamodb' },
        },
      },
    },
  };
};

/** Least privilege: the idempotency table, what the chosen Kafka authentication needs, and the registry's secret. */
module.exports.iamStatements = async (options) => [
  idempotencyStatement,
  ...(await kafkaStatements(options)),
  ...(await registryStatements(options)),
];

/** With schemaRegistryAuth=basic: reading its secret (and decrypting it, with a customer-managed key). */
async function registryStatements({ resolveVariable }) {
  if ((await param(resolveVariable, 'schemaRegistryAuth')) !== 'basic') return [];
  const secretArn = await param(resolveVariable, 'schemaRegistrySecretArn');
  if (!SECRET_ARN.test(secretArn)) return []; // refused with its reason by schemaRegistryUrl
  const kmsKeyArn = await param(resolveVariable, 'schemaRegistryKmsKeyArn');
  return [
    { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] },
    ...(kmsKeyArn
      ? [
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: [kmsKeyArn],
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
            Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
          },
        ]
      : []),
  ];
}

async function kafkaStatements({ resolveVariable }) {
  const auth = await param(resolveVariable, 'kafkaAuth');
  if (auth === 'iam') {
    const clusterArn = required(await param(resolveVariable, 'mskClusterArn'), 'mskClusterArn', auth);
    const topic = await param(resolveVariable, 'kafkaTopic');
    return [
      {
        Effect: 'Allow',
        // WriteDataIdempotently is checked against the cluster, like Kafka's IdempotentWrite ACL
        // (a CLUSTER operation), so it sits beside Connect rather than on the topic.
        Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        Resource: [clusterArn],
      },
      {
        Effect: 'Allow',
        // ReadData: a retry after a 504 reads the topic (Fetch, no consumer group) to learn whether
        // the earlier attempt's record is there.
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData', 'kafka-cluster:ReadData'],
        Resource: [topicArn(clusterArn, topic)],
      },
    ];
  }
  if (auth === 'scram') {
    const secretArn = required(await param(resolveVariable, 'scramSecretArn'), 'scramSecretArn', auth);
    const kmsKeyArn = required(await param(resolveVariable, 'scramKmsKeyArn'), 'scramKmsKeyArn', auth);
    return [
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [kmsKeyArn],
        // Only to read that secret: KMS sees Secrets Manager as the caller.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      },
    ];
  }
  if (auth === 'none') return [];
  throw new Error(`--param kafkaAuth must be none, iam or scram, got "${auth}"`);
}
