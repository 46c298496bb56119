// Runs in a fresh Node process, as a Lambda cold start does: loads the bundled handler, publishes
// one order, and reports its times, measured from the start of this process (Node's
// performance.timeOrigin). Plain CommonJS with no loader, so that nothing but the bundle is timed.
// Usage (bench/cases/bundle.ts): node cold-start.cjs BUNDLE_FILE EVENT_JSON, with an IPC channel.
const { performance } = require('node:perf_hooks');

const [bundle, eventJson] = process.argv.slice(2);
const event = JSON.parse(eventJson);
const context = { awsRequestId: 'bench-cold-start', getRemainingTimeInMillis: () => 12_000 };

const beforeLoad = performance.now();
const { handler } = require(bundle);
const loaded = performance.now();

handler(event, context).then(
  (response) => {
    const acknowledged = performance.now();
    const report = { beforeLoadMs: beforeLoad, loadMs: loaded - beforeLoad, firstAckMs: acknowledged, statusCode: response.statusCode };
    process.send(report, () => process.exit(0));
  },
  (error) => process.send({ error: String(error?.stack ?? error) }, () => process.exit(1)),
);
