// A warm execution environment in a process of its own: publishes one order, then idles until a
// signal arrives, as Lambda's runtime does between invocations.
import { handler } from '../../handlers/publish-order';
import { exampleOrder, lambdaContext, postEvent } from './events';

void (async () => {
  const response = await handler(postEvent(exampleOrder()), lambdaContext());
  process.stdout.write(`published ${response.statusCode}\n`);
  setInterval(() => {}, 60_000);
})();
