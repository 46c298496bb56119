import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Not copied: dependencies (linked instead), the local services' state (a broker deletes files
 * there while the copy runs), and everything a build or a run writes.
 */
const LEFT_OUT = new Set(['node_modules', '.git', '.kafka', '.dynamodb', '.serverless', 'coverage', path.join('bench', 'results')]);
const leftOut = (relative: string) => LEFT_OUT.has(relative) || /^\.(esbuild|kafka-test)/.test(relative);

/**
 * A copy of the service in a scratch folder, for `serverless package` and `serverless offline`.
 * Both write their build into the service folder (.esbuild/, .serverless/); working on a copy
 * keeps them from clashing with a serverless-offline or a package that a developer runs in the
 * checkout at the same time. node_modules is linked, not copied.
 */
export function stageService(repoRoot: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'order-publisher-bench-'));
  cpSync(repoRoot, dir, {
    recursive: true,
    filter: (source) => !leftOut(path.relative(repoRoot, source)),
  });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The serverless CLI of the repository's node_modules, run with the node that runs the bench. */
export function serverlessCli(repoRoot: string): { command: string; args: string[] } {
  return { command: process.execPath, args: [path.join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js')] };
}

/** The deploy parameters (serverless.yml `params`) that point the service at the bench's broker. */
export function serviceParams(bootstrap: string, topic: string, logLevel = 'INFO'): string[] {
  // allowLocalBrokers: a package for the bench's local broker, which a deploy would refuse.
  return [
    '--param',
    `kafkaBrokers=${bootstrap}`,
    '--param',
    `kafkaTopic=${topic}`,
    '--param',
    `logLevel=${logLevel}`,
    '--param',
    'allowLocalBrokers=true',
  ];
}
