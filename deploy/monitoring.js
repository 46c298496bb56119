// The stack's alarms and dashboard (serverless.yml: resources), built from the deploy parameters.
// Every custom metric here is one the code emits (lib/metrics.ts), with the dimensions of its
// Embedded Metric Format lines: test/package/ checks them against the lines a real invocation prints.

const { maxConcurrency } = require('./variables.js');

const NAMESPACE = 'OrderPublisher';
/** Powertools Metrics adds it to every metric (lib/metrics.ts: serviceName). */
const SERVICE = { Name: 'service', Value: 'order-publisher' };
/** The error kinds lib/metrics.ts counts PublishFailures by (lib/errors.ts). */
const FAILURE_REASONS = ['KafkaUnavailableError', 'PublishOutcomeUnknownError', 'PublishRejectedError'];
const PUBLISHING_FUNCTIONS = ['PublishOrder', 'PublishOrdersBatch'];
const KAFKA_NAMESPACE = 'AWS/Kafka';
/**
 * The value of ClientConnectionCount's "Client Authentication" dimension for each kafkaAuth, as
 * AWS's own MSK guidance spells it (IAM, SASL_SCRAM, SSL); mskClientAuthentication overrides it.
 */
const CLIENT_AUTHENTICATION = { iam: 'IAM', scram: 'SASL_SCRAM' };

const number = async (resolveVariable, name) => {
  const value = Number(await resolveVariable(`param:${name}`));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--param ${name} must be a number of 0 or more (docs/operations.md)`);
  return value;
};

const text = async (resolveVariable, name) => String((await resolveVariable(`param:${name}`)) ?? '').trim();
const list = (value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** A number above 0 (and at most `max`), or a refusal that names the parameter. */
const positive = async (resolveVariable, name, max = Number.POSITIVE_INFINITY) => {
  const raw = await text(resolveVariable, name);
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? 'above 0' : `above 0 and at most ${max}`;
    throw new Error(`--param ${name} must be a number ${range}, got "${raw}" (docs/operations.md)`);
  }
  return value;
};

/**
 * The MSK cluster whose brokers the stack watches, from mskClusterName and mskBrokerIds (a
 * template cannot list a cluster's brokers), or null without a cluster name. Bad input is refused
 * at `sls package`, naming the parameter.
 */
async function mskCluster(resolveVariable) {
  const name = await text(resolveVariable, 'mskClusterName');
  const brokerIds = list(await text(resolveVariable, 'mskBrokerIds'));
  const quota = {
    connections: await positive(resolveVariable, 'mskConnectionQuota'),
    rate: await positive(resolveVariable, 'mskConnectionRateQuota'),
  };
  const percent = {
    connections: await positive(resolveVariable, 'alarmMskConnectionsPercent', 100),
    rate: await positive(resolveVariable, 'alarmMskConnectionRatePercent', 100),
  };
  if (!name) {
    if (brokerIds.length > 0)
      throw new Error('--param mskBrokerIds and mskClusterName go together: give both or neither (docs/operations.md)');
    return null;
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(name)) {
    throw new Error(
      `--param mskClusterName must be the MSK cluster's name (letters, digits and hyphens: the part after "cluster/" in its ARN), got "${name}"`,
    );
  }
  const arnName = /:cluster\/([^/]+)\//.exec(await text(resolveVariable, 'mskClusterArn'))?.[1];
  if (arnName && arnName !== name) {
    throw new Error(
      `--param mskClusterName is "${name}", but mskClusterArn is the cluster "${arnName}": the alarms would watch another cluster`,
    );
  }
  if (brokerIds.length === 0) {
    throw new Error(
      '--param "mskBrokerIds=…" is required with mskClusterName: the ids of its brokers, comma-separated, such as 1,2,3 (aws kafka list-nodes; docs/operations.md)',
    );
  }
  const notAnId = brokerIds.find((id) => !/^(0|[1-9]\d*)$/.test(id));
  if (notAnId !== undefined) throw new Error(`--param mskBrokerIds must be broker ids, whole numbers such as 1,2,3, got "${notAnId}"`);
  if (new Set(brokerIds).size !== brokerIds.length) throw new Error(`--param mskBrokerIds names a broker twice: "${brokerIds.join(',')}"`);
  const auth = await text(resolveVariable, 'kafkaAuth');
  const clientAuthentication = (await text(resolveVariable, 'mskClientAuthentication')) || CLIENT_AUTHENTICATION[auth];
  if (!clientAuthentication) {
    throw new Error(
      `--param "mskClientAuthentication=…" is required with mskClusterName when kafkaAuth=${auth}: the "Client Authentication" dimension of the brokers' ClientConnectionCount (docs/operations.md)`,
    );
  }
  if (!/^[A-Za-z0-9_]+$/.test(clientAuthentication)) {
    throw new Error(`--param mskClientAuthentication must be a dimension value such as IAM or SASL_SCRAM, got "${clientAuthentication}"`);
  }
  return {
    name,
    brokerIds,
    clientAuthentication,
    quota,
    threshold: { connections: (quota.connections * percent.connections) / 100, rate: (quota.rate * percent.rate) / 100 },
  };
}

/** A broker's dimensions in AWS/Kafka: "Cluster Name" and "Broker ID", with the spaces. */
const brokerDimensions = (cluster, id) => [
  { Name: 'Cluster Name', Value: cluster.name },
  { Name: 'Broker ID', Value: id },
];

/**
 * Per broker: its client connections near the connection quota, its new connections per second
 * near the rate quota, and with IAM the connections MSK refused over that rate. Each takes
 * one-minute sums: a broker reports these metrics as several data points a minute (one per
 * network processor), so their sum is the broker's figure. A broker, name or monitoring level
 * that gives no data leaves an alarm in INSUFFICIENT_DATA rather than passing for OK.
 */
function mskAlarms(cluster, { prefix, actions }) {
  const Resources = {};
  const minute = { statistic: 'Sum', period: 60, treatMissingData: 'missing', actions };
  const where = (id) => `broker ${id} of MSK cluster ${cluster.name}`;
  for (const id of cluster.brokerIds) {
    Resources[`AlarmMskBroker${id}ClientConnections`] = alarm(
      `${prefix}-msk-broker-${id}-client-connections`,
      `Client connections (${cluster.clientAuthentication}) on ${where(id)}, three minutes at or above ${cluster.threshold.connections} of its quota of ${cluster.quota.connections}: at the quota the broker refuses new connections, and cold starts answer 503.`,
      {
        namespace: KAFKA_NAMESPACE,
        name: 'ClientConnectionCount',
        dimensions: [...brokerDimensions(cluster, id), { Name: 'Client Authentication', Value: cluster.clientAuthentication }],
      },
      { ...minute, threshold: cluster.threshold.connections, evaluationPeriods: 3 },
    );
    Resources[`AlarmMskBroker${id}ConnectionCreationRate`] = alarm(
      `${prefix}-msk-broker-${id}-connection-creation-rate`,
      `New client connections per second on ${where(id)}, at or above ${cluster.threshold.rate} of its quota of ${cluster.quota.rate}/s: a connection storm (a scale-out, a deploy, a reconnect loop). Needs PER_BROKER monitoring.`,
      { namespace: KAFKA_NAMESPACE, name: 'ConnectionCreationRate', dimensions: brokerDimensions(cluster, id) },
      { ...minute, threshold: cluster.threshold.rate },
    );
    if (cluster.clientAuthentication === 'IAM') {
      Resources[`AlarmMskBroker${id}IamTooManyConnections`] = alarm(
        `${prefix}-msk-broker-${id}-iam-too-many-connections`,
        `IAM connections that ${where(id)} refused over its new-connection quota ("Too many connects"). Needs PER_BROKER monitoring.`,
        { namespace: KAFKA_NAMESPACE, name: 'IAMTooManyConnections', dimensions: brokerDimensions(cluster, id) },
        { ...minute, threshold: 1 },
      );
    }
  }
  return Resources;
}

/** An alarm on one metric; its description says what it means and where the runbook is. */
function alarm(
  name,
  description,
  metric,
  { threshold, statistic, period = 300, evaluationPeriods = 1, treatMissingData = 'notBreaching', actions },
) {
  const stat = statistic.startsWith('p') ? { ExtendedStatistic: statistic } : { Statistic: statistic };
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: name,
      AlarmDescription: `${description} See docs/operations.md.`,
      Namespace: metric.namespace,
      MetricName: metric.name,
      Dimensions: metric.dimensions,
      ...stat,
      Period: period,
      EvaluationPeriods: evaluationPeriods,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // For the stack's own metrics, no data is no requests: nothing to alarm about.
      TreatMissingData: treatMissingData,
      ...(actions.length > 0 ? { AlarmActions: actions, OKActions: actions } : {}),
    },
  };
}

module.exports.resources = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('self:provider.region');
  const topicArn = String((await resolveVariable('param:alarmTopicArn')) ?? '').trim();
  const actions = topicArn ? [topicArn] : [];
  const prefix = `${service}-${stage}`;
  // serverless v3 names the REST API "<stage>-<service>" (lib/plugins/aws/lib/naming.js).
  const api = [
    { Name: 'ApiName', Value: `${stage}-${service}` },
    { Name: 'Stage', Value: stage },
  ];
  const fn = (logicalName) => [{ Name: 'FunctionName', Value: { Ref: `${logicalName}LambdaFunction` } }];
  const t = {
    apiErrorRate: (await number(resolveVariable, 'alarmApi5xxRatePercent')) / 100,
    failures: await number(resolveVariable, 'alarmPublishFailures'),
    latency: await number(resolveVariable, 'alarmPublishLatencyP99Ms'),
    lambdaErrors: await number(resolveVariable, 'alarmLambdaErrors'),
    throttles: await number(resolveVariable, 'alarmLambdaThrottles'),
    apiLatency: await number(resolveVariable, 'alarmApiLatencyP99Ms'),
    storeErrors: await number(resolveVariable, 'alarmIdempotencyStoreErrors'),
  };
  const custom = (name, dimensions = [SERVICE]) => ({ namespace: NAMESPACE, name, dimensions });

  const Resources = {
    AlarmApi5xxRate: alarm(
      `${prefix}-api-5xx-rate`,
      'Share of API requests answered 5xx (5XXError average).',
      { namespace: 'AWS/ApiGateway', name: '5XXError', dimensions: api },
      { threshold: t.apiErrorRate, statistic: 'Average', evaluationPeriods: 2, actions },
    ),
    AlarmApiLatencyP99: alarm(
      `${prefix}-api-latency-p99`,
      'API Gateway latency, p99 (ms).',
      { namespace: 'AWS/ApiGateway', name: 'Latency', dimensions: api },
      { threshold: t.apiLatency, statistic: 'p99', evaluationPeriods: 2, actions },
    ),
    AlarmPublishLatencyP99: alarm(
      `${prefix}-publish-latency-p99`,
      'Time to an acks=all acknowledgement, p99 (ms).',
      custom('PublishLatency'),
      { threshold: t.latency, statistic: 'p99', evaluationPeriods: 2, actions },
    ),
    AlarmIdempotencyStoreErrors: alarm(
      `${prefix}-idempotency-store-errors`,
      'Requests the idempotency store (DynamoDB) did not answer.',
      custom('IdempotencyStoreErrors'),
      { threshold: t.storeErrors, statistic: 'Sum', actions },
    ),
  };
  for (const reason of FAILURE_REASONS) {
    Resources[`AlarmPublishFailures${reason.replace(/Error$/, '')}`] = alarm(
      `${prefix}-publish-failures-${reason}`,
      `Orders Kafka did not take, of kind ${reason}.`,
      custom('PublishFailures', [SERVICE, { Name: 'reason', Value: reason }]),
      { threshold: t.failures, statistic: 'Sum', actions },
    );
  }
  for (const name of PUBLISHING_FUNCTIONS) {
    Resources[`Alarm${name}Errors`] = alarm(
      `${prefix}-${name}-errors`,
      `Invocations of ${name} that failed (uncaught, or timed out).`,
      { namespace: 'AWS/Lambda', name: 'Errors', dimensions: fn(name) },
      { threshold: t.lambdaErrors, statistic: 'Sum', actions },
    );
    Resources[`Alarm${name}Throttles`] = alarm(
      `${prefix}-${name}-throttles`,
      `Invocations of ${name} that Lambda throttled.`,
      { namespace: 'AWS/Lambda', name: 'Throttles', dimensions: fn(name) },
      { threshold: t.throttles, statistic: 'Sum', actions },
    );
  }
  const cluster = await mskCluster(resolveVariable);
  if (cluster) Object.assign(Resources, mskAlarms(cluster, { prefix, actions }));
  const reserved = await maxConcurrency({ resolveVariable });
  Resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: prefix, DashboardBody: JSON.stringify(dashboard({ region, api, stage, service, cluster, reserved })) },
  };
  return { Resources };
};

/**
 * Five rows: requests, orders, latency, failures, Lambda; a sixth, the MSK brokers' connections,
 * when the cluster is given. Functions are named <service>-<stage>-<function>, as serverless names them.
 */
function dashboard({ region, api, service, stage, cluster, reserved }) {
  const apiDims = api.flatMap(({ Name, Value }) => [Name, Value]);
  const svc = ['service', 'order-publisher'];
  const fnName = (name) => `${service}-${stage}-${name}`;
  const row = (y, widgets) =>
    widgets.map((widget, index) => ({ type: 'metric', x: index * 12, y: y * 6, width: 12, height: 6, ...widget }));
  const metrics = (title, series, stat = 'Sum') => ({
    properties: { title, region, stat, period: 60, view: 'timeSeries', metrics: series },
  });
  return {
    widgets: [
      ...row(0, [
        metrics('Requests by status', [
          ['AWS/ApiGateway', 'Count', ...apiDims, { label: 'all' }],
          ['AWS/ApiGateway', '4XXError', ...apiDims, { label: '4xx' }],
          ['AWS/ApiGateway', '5XXError', ...apiDims, { label: '5xx' }],
        ]),
        metrics('Problems answered, by status', [
          [{ expression: `SEARCH('{${NAMESPACE},service,status} MetricName="RequestsRejected"', 'Sum', 60)`, id: 'rejected' }],
        ]),
      ]),
      ...row(1, [
        metrics('Orders published', [[NAMESPACE, 'OrdersPublished', ...svc]]),
        metrics('Batch size', [
          [NAMESPACE, 'BatchSize', ...svc, { stat: 'Average', label: 'average' }],
          [NAMESPACE, 'BatchSize', ...svc, { stat: 'Maximum', label: 'largest' }],
        ]),
      ]),
      ...row(2, [
        metrics('Publish latency (ms)', [
          [NAMESPACE, 'PublishLatency', ...svc, { stat: 'p50', label: 'p50' }],
          [NAMESPACE, 'PublishLatency', ...svc, { stat: 'p99', label: 'p99' }],
        ]),
        metrics('API latency (ms)', [
          ['AWS/ApiGateway', 'Latency', ...apiDims, { stat: 'p50', label: 'p50' }],
          ['AWS/ApiGateway', 'Latency', ...apiDims, { stat: 'p99', label: 'p99' }],
        ]),
      ]),
      ...row(3, [
        metrics('Publish failures, by reason', [
          [{ expression: `SEARCH('{${NAMESPACE},service,reason} MetricName="PublishFailures"', 'Sum', 60)`, id: 'failures' }],
        ]),
        metrics('Idempotency: replays, conflicts, store errors, reconciliations', [
          [NAMESPACE, 'IdempotentReplays', ...svc],
          [{ expression: `SEARCH('{${NAMESPACE},service,reason} MetricName="IdempotencyConflicts"', 'Sum', 60)`, id: 'conflicts' }],
          [NAMESPACE, 'IdempotencyStoreErrors', ...svc],
          [{ expression: `SEARCH('{${NAMESPACE},service,outcome} MetricName="Reconciliations"', 'Sum', 60)`, id: 'reconciliations' }],
        ]),
      ]),
      ...row(4, [
        withLines(
          metrics(
            'Lambda duration (ms) and concurrency',
            PUBLISHING_FUNCTIONS.flatMap((name) => [
              ['AWS/Lambda', 'Duration', 'FunctionName', fnName(name), { stat: 'p99', label: `${name} p99` }],
              [
                'AWS/Lambda',
                'ConcurrentExecutions',
                'FunctionName',
                fnName(name),
                { stat: 'Maximum', label: `${name} concurrency`, yAxis: 'right' },
              ],
            ]),
          ),
          reserved ? [{ label: 'maxConcurrency (each function)', value: reserved, yAxis: 'right' }] : [],
        ),
        {
          type: 'log',
          properties: {
            title: 'Cold starts (InitDuration of REPORT lines)',
            region,
            view: 'timeSeries',
            query: `SOURCE '/aws/lambda/${fnName('publishOrder')}' | SOURCE '/aws/lambda/${fnName('publishOrdersBatch')}' | filter @type = "REPORT" and ispresent(@initDuration) | stats count() as coldStarts, avg(@initDuration) as initMs by bin(5m)`,
          },
        },
      ]),
      ...(cluster ? row(5, mskWidgets(cluster, metrics)) : []),
    ],
  };
}

/** Horizontal lines on a metric widget (none: the widget as it is). */
const withLines = (widget, lines) =>
  lines.length > 0 ? { ...widget, properties: { ...widget.properties, annotations: { horizontal: lines } } } : widget;

/** Per broker: client connections against the quota; new connections a second against theirs (and, with IAM, refusals). */
function mskWidgets(cluster, metrics) {
  const broker = (id) => ['Cluster Name', cluster.name, 'Broker ID', id];
  const auth = ['Client Authentication', cluster.clientAuthentication];
  const iam = cluster.clientAuthentication === 'IAM';
  return [
    withLines(
      metrics(
        `MSK client connections per broker (${cluster.clientAuthentication}, quota ${cluster.quota.connections})`,
        cluster.brokerIds.map((id) => [KAFKA_NAMESPACE, 'ClientConnectionCount', ...broker(id), ...auth, { label: `broker ${id}` }]),
      ),
      [
        { label: 'alarm', value: cluster.threshold.connections },
        { label: 'quota', value: cluster.quota.connections },
      ],
    ),
    withLines(
      metrics(`MSK new connections per second per broker (quota ${cluster.quota.rate}/s)`, [
        ...cluster.brokerIds.map((id) => [KAFKA_NAMESPACE, 'ConnectionCreationRate', ...broker(id), { label: `broker ${id}` }]),
        ...(iam
          ? cluster.brokerIds.map((id) => [
              KAFKA_NAMESPACE,
              'IAMTooManyConnections',
              ...broker(id),
              { label: `broker ${id} refused`, yAxis: 'right' },
            ])
          : []),
      ]),
      [
        { label: 'alarm', value: cluster.threshold.rate },
        { label: 'quota', value: cluster.quota.rate },
      ],
    ),
  ];
}
