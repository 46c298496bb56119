// The stack's alarms and dashboard (serverless.yml: resources), built from the deploy parameters.
// Every custom metric here is one the code emits (lib/metrics.ts), with the dimensions of its
// Embedded Metric Format lines: test/package/ checks them against the lines a real invocation prints.

const NAMESPACE = 'OrderPublisher';
/** Powertools Metrics adds it to every metric (lib/metrics.ts: serviceName). */
const SERVICE = { Name: 'service', Value: 'order-publisher' };
/** The error kinds lib/metrics.ts counts PublishFailures by (lib/errors.ts). */
const FAILURE_REASONS = ['KafkaUnavailableError', 'PublishOutcomeUnknownError', 'PublishRejectedError'];
const PUBLISHING_FUNCTIONS = ['PublishOrder', 'PublishOrdersBatch'];

const number = async (resolveVariable, name) => {
  const value = Number(await resolveVariable(`param:${name}`));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--param ${name} must be a number of 0 or more (docs/operations.md)`);
  return value;
};

/** An alarm on one metric; its description says what it means and where the runbook is. */
function alarm(name, description, metric, { threshold, statistic, period = 300, evaluationPeriods = 1, actions }) {
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
      // No data is no requests: nothing to alarm about.
      TreatMissingData: 'notBreaching',
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
  Resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: prefix, DashboardBody: JSON.stringify(dashboard({ region, api, stage, service })) },
  };
  return { Resources };
};

/** Five rows: requests, orders, latency, failures, Lambda. Functions are named <service>-<stage>-<function>, as serverless names them. */
function dashboard({ region, api, service, stage }) {
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
    ],
  };
}
