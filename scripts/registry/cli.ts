// npm run registry -- start|stop|status: the local schema registry (scripts/registry/local-registry.ts).
import { devRegistry } from './local-registry';

const USAGE = `npm run registry -- <command>

  start    start Apicurio Registry (a no-op when it runs), fetched with Maven on first use
  stop     stop it (its schemas are in memory: a new start is empty)
  status   whether it runs, and where

  The registry serves the Confluent-compatible API at ${devRegistry.url}: SCHEMA_REGISTRY_URL.
  Environment: REGISTRY_PORT (default 8081), JAVA_HOME.`;

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      await devRegistry.start();
      console.log('It keeps running after this exits; stop it with `npm run registry -- stop`.');
      return;
    }
    case 'stop':
      if (!(await devRegistry.stop())) console.log('The schema registry is not running (nothing started by this script)');
      return;
    case 'status': {
      const pid = devRegistry.runningPid();
      const state = pid ? ((await devRegistry.answers()) ? 'running' : 'not answering') : 'not running';
      console.log(`schema registry on ${devRegistry.url}: ${state}${pid ? ` (pid ${pid})` : ''}`);
      return;
    }
    default:
      console.log(USAGE);
      if (command !== undefined && command !== 'help' && command !== '--help' && command !== '-h') process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: Error) => {
  console.error(`registry: ${error.message}`);
  process.exit(1);
});
