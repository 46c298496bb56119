import { clusterBefore, restoreCluster } from '../support/fault-cluster';

/**
 * Notes whether the local three-broker cluster ran before the fault suite, and leaves it as it
 * was afterwards: stopped if the suite started it, otherwise running with its own overrides
 * again. The test files themselves start (or restart) it with the suite's overrides, when they
 * run: in `npm test` that is after the cluster project, which keeps the cluster as it expects it.
 */
export default async function setup() {
  const before = await clusterBefore();
  return () => restoreCluster(before);
}
