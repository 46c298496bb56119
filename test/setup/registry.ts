import { testRegistry } from '../../scripts/registry/local-registry';

/**
 * The tests' own schema registry (scripts/registry/local-registry.ts: testRegistry, never the dev
 * one). Its start begins here, beside the broker's, while the unit and package projects run; the
 * files that need it wait for it (test/support/registry.ts: useTestRegistry). Stopped at the end.
 */
const shared = globalThis as typeof globalThis & { registryUsers?: number; registryStart?: Promise<unknown> };

export default function setup() {
  shared.registryUsers = (shared.registryUsers ?? 0) + 1;
  // A failed start is reported by the files that wait for it.
  shared.registryStart ??= testRegistry
    .quiet()
    .start()
    .catch((error: unknown) => error);
  return async () => {
    shared.registryUsers = (shared.registryUsers ?? 1) - 1;
    if (shared.registryUsers > 0) return;
    await shared.registryStart;
    await testRegistry.quiet().stop();
  };
}
