import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkJava, javaBin, processState, run, seconds, signalProcess, waitFor, withLock } from '../kafka/jvm';
import { HOST, ROOT, TEST_INSTANCE } from '../kafka/topology';

/**
 * A real schema registry on this machine, without Docker: Apicurio Registry's runnable
 * distribution from Maven Central (its version pinned in pom.xml), on Java 17, bound to
 * 127.0.0.1. It serves the Confluent-compatible REST API under /apis/ccompat/v7 and keeps its
 * schemas in memory: each start is empty. Like the local Kafka, it runs detached with a pid file,
 * so that `npm run dev` can leave it running and `npm run registry -- stop` stops it.
 */

const POM = path.join(ROOT, 'pom.xml');
/** The Confluent-compatible API's path on Apicurio 2.x. */
const CCOMPAT_PATH = '/apis/ccompat/v7';
/** Confluent's registry starts with BACKWARD; Apicurio with none: each start sets it. */
const DEFAULT_COMPATIBILITY = 'BACKWARD';
const START_TIMEOUT_MS = Number(process.env.REGISTRY_START_TIMEOUT_MS ?? 90_000);

function apicurioVersion(): string {
  const version = /<apicurio\.version>([^<]+)</.exec(fs.readFileSync(POM, 'utf8'))?.[1];
  if (!version) throw new Error('pom.xml has no <apicurio.version> property');
  return version;
}

/** Where the distribution is unpacked: beside the Kafka jars, once per clone and version. */
function distributionDir(version = apicurioVersion()): string {
  return path.join(ROOT, '.kafka', `apicurio-registry-${version}`);
}

/** Fetches the distribution with Maven (maven-dependency-plugin:copy) and unpacks it, once. */
async function resolveDistribution(say: (line: string) => void): Promise<string> {
  const version = apicurioVersion();
  const dir = distributionDir(version);
  const runner = path.join(dir, `apicurio-registry-app-${version}-runner.jar`);
  if (fs.existsSync(runner)) return runner;
  const started = Date.now();
  say(`Fetching Apicurio Registry ${version} with Maven (142 MB, once; kept in ${path.relative(ROOT, dir)}/) ...`);
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  try {
    const artifact = `io.apicurio:apicurio-registry-app:${version}:tar.gz:all`;
    const maven = await run(
      'mvn',
      ['-q', '-B', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${partial}`],
      600_000,
    );
    if (maven.code !== 0)
      throw new Error(`Maven failed (exit ${maven.code}) fetching ${artifact}:\n${(maven.stdout + maven.stderr).slice(-4_000)}`);
    const archive = path.join(partial, `apicurio-registry-app-${version}-all.tar.gz`);
    const untar = await run('tar', ['-xzf', archive, '-C', partial], 300_000);
    if (untar.code !== 0) throw new Error(`tar failed (exit ${untar.code}) unpacking ${archive}:\n${untar.stderr}`);
    fs.rmSync(archive);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  say(`Apicurio Registry ${version} ready in ${path.relative(ROOT, dir)}/ (${seconds(Date.now() - started)})`);
  return runner;
}

export interface RegistryInstance {
  /** Its pid file and log. */
  stateDir: string;
  port: number;
}

export interface RegistryStart {
  /** The base URL of the Confluent-compatible API: SCHEMA_REGISTRY_URL. */
  url: string;
  startedByUs: boolean;
}

export class LocalRegistry {
  constructor(
    readonly instance: RegistryInstance,
    private readonly say: (line: string) => void = console.log,
  ) {}

  quiet(): LocalRegistry {
    return new LocalRegistry(this.instance, () => {});
  }

  get origin(): string {
    return `http://${HOST}:${this.instance.port}`;
  }

  /** SCHEMA_REGISTRY_URL for this registry. */
  get url(): string {
    return `${this.origin}${CCOMPAT_PATH}`;
  }

  private get pidFile(): string {
    return path.join(this.instance.stateDir, 'registry.pid');
  }

  get logFile(): string {
    return path.join(this.instance.stateDir, 'registry.log');
  }

  /** The JVM's pid while it runs (checked against its command line, as pids are reused). */
  runningPid(): number | undefined {
    const pid = Number.parseInt(fs.existsSync(this.pidFile) ? fs.readFileSync(this.pidFile, 'utf8') : '', 10);
    if (!(pid > 0)) return undefined;
    try {
      const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (
        commandLine.includes('apicurio-registry-app') &&
        commandLine.includes(`-Dquarkus.http.port=${this.instance.port}`) &&
        processState(pid) !== 'Z'
      ) {
        return pid;
      }
    } catch {
      // gone
    }
    fs.rmSync(this.pidFile, { force: true });
    return undefined;
  }

  /** Whether the API answers. */
  async answers(timeoutMs = 1_000): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
      return response.ok;
    } catch {
      return false;
    }
  }

  /**
   * Starts it unless it runs, and waits until it answers. A registry it launched gets the global
   * compatibility rule BACKWARD (Confluent's default); one already running keeps its own.
   */
  async start(): Promise<RegistryStart> {
    const started = Date.now();
    // One launch at a time across processes: the tests' global setup and a test file may both start it.
    // The wait covers a first fetch of the distribution by the holder (Maven allows it 10 minutes).
    const startedByUs = await withLock({ dir: this.instance.stateDir }, 660_000, () => this.launch());
    const ready = await waitFor(async () => (await this.answers()) || !this.runningPid(), START_TIMEOUT_MS, 200);
    if (!ready || !(await this.answers())) {
      const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(-3_000) : '';
      if (startedByUs) await this.stop();
      throw new Error(`The registry did not answer on ${this.url} within ${seconds(START_TIMEOUT_MS)}:\n${log}`);
    }
    if (startedByUs) await this.setGlobalCompatibility(DEFAULT_COMPATIBILITY);
    this.say(
      startedByUs
        ? `Schema registry (Apicurio ${apicurioVersion()}) ready on ${this.url} in ${seconds(Date.now() - started)}`
        : `Schema registry already running on ${this.url}`,
    );
    return { url: this.url, startedByUs };
  }

  /** Launches the JVM unless it runs; true when it launched it. */
  private async launch(): Promise<boolean> {
    let startedByUs = false;
    if (!this.runningPid()) {
      if (await this.answers()) throw new Error(`Port ${this.instance.port} already answers, and not with a registry this script started`);
      checkJava();
      const runner = await resolveDistribution(this.say);
      fs.mkdirSync(this.instance.stateDir, { recursive: true });
      fs.appendFileSync(this.logFile, `\n===== ${new Date().toISOString()} starting on ${this.origin} =====\n`);
      const out = fs.openSync(this.logFile, 'a');
      const args = [
        '-Xmx256m',
        // C1 alone: ready in about 6 s instead of 15 on two shared cores; a registry answers a few
        // requests per execution environment, not a load.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-XX:+ExitOnOutOfMemoryError',
        `-Dquarkus.http.host=${HOST}`,
        `-Dquarkus.http.port=${this.instance.port}`,
        '-jar',
        runner,
      ];
      // Its own environment: Apicurio reads variables such as LOG_LEVEL (ours: SILENT, not a level of its).
      const env = Object.fromEntries(
        ['PATH', 'HOME', 'JAVA_HOME', 'LANG', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
      );
      const child = spawn(javaBin(), args, { cwd: this.instance.stateDir, env, detached: true, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      child.on('error', () => {}); // seen as a registry that never answers
      child.unref();
      fs.writeFileSync(this.pidFile, `${child.pid}\n`);
      startedByUs = true;
    }
    return startedByUs;
  }

  private async setGlobalCompatibility(level: string): Promise<void> {
    const response = await fetch(`${this.url}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: level }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`Setting the registry's compatibility rule failed: HTTP ${response.status} ${await response.text()}`);
  }

  /** Stops it (SIGTERM, then SIGKILL after 15 s); false when it was not running. */
  async stop(): Promise<boolean> {
    const pid = this.runningPid();
    if (!pid) return false;
    const started = Date.now();
    signalProcess(pid, 'SIGCONT');
    signalProcess(pid, 'SIGTERM');
    if (!(await waitFor(() => this.runningPid() !== pid, 15_000, 100))) {
      signalProcess(pid, 'SIGKILL');
      await waitFor(() => this.runningPid() !== pid, 10_000, 100);
    }
    fs.rmSync(this.pidFile, { force: true });
    this.say(`Stopped the schema registry on ${this.origin} in ${seconds(Date.now() - started)}`);
    return true;
  }
}

function portFrom(variable: string, fallback: number): number {
  const value = process.env[variable];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${variable}=${value}: a port number`);
  return port;
}

/** `npm run dev -- --registry` and `npm run registry`: 8081, Confluent's usual port (REGISTRY_PORT moves it). */
export const devRegistry = new LocalRegistry({ stateDir: path.join(ROOT, '.kafka', 'registry'), port: portFrom('REGISTRY_PORT', 8081) });

/**
 * The tests' own registry: in the tests' Kafka folder, on 8081 plus the tests' port offset (9081
 * by default; KAFKA_TEST_PORT_OFFSET moves it, REGISTRY_TEST_PORT sets it).
 */
export const testRegistry = new LocalRegistry({
  stateDir: path.join(TEST_INSTANCE.stateDir, 'registry'),
  port: portFrom('REGISTRY_TEST_PORT', 8081 + TEST_INSTANCE.portOffset),
});
