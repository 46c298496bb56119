import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIBS_DIR, type NodeLayout, nodePaths, nodeProperties, ROOT, SCRAM, type Topology } from './topology';

/** The JVMs of the local Kafka: Java and its jars, storage, and the processes themselves. */

const POM = path.join(ROOT, 'pom.xml');

export function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

export function checkJava(): void {
  const version = spawnSync(javaBin(), ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${version.stderr ?? ''}${version.stdout ?? ''}`);
  if (version.error || !match) throw new Error(`Java not found ("${javaBin()} -version" failed): install a JDK 17 or set JAVA_HOME`);
  if (Number(match[1]) < 17) throw new Error(`Java ${match[1]} found; Kafka 4 needs Java 17 or later (set JAVA_HOME)`);
}

export const classpath = (...extra: string[]) => [path.join(LIBS_DIR, '*'), ...extra].join(path.delimiter);

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; `code` is null when it was killed at the timeout. */
export function run(command: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') return reject(error);
      resolve({ code: error ? (error.killed ? null : Number(error.code)) : 0, stdout, stderr });
    });
  });
}

const pomHash = () => createHash('sha256').update(fs.readFileSync(POM)).digest('hex');

/** Copies the jars of pom.xml into .kafka/libs once (again when pom.xml changes). */
export async function resolveJars(say: (line: string) => void): Promise<void> {
  const stamp = path.join(LIBS_DIR, '.resolved');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === pomHash()) return;
  if (spawnSync('mvn', ['-v']).status !== 0) throw new Error('Maven not found: "mvn" resolves the Kafka jars of pom.xml into .kafka/libs');
  const started = Date.now();
  say('Resolving Kafka jars with Maven (pom.xml -> .kafka/libs) ...');
  // Resolved beside and renamed into place, so that a concurrent start never sees half the jars.
  const partial = `${LIBS_DIR}.partial-${process.pid}`;
  const maven = await run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`], 600_000);
  if (maven.code !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new Error(`Maven failed (exit ${maven.code}) resolving the Kafka jars:\n${(maven.stdout + maven.stderr).slice(-4_000)}`);
  }
  fs.writeFileSync(path.join(partial, '.resolved'), `${pomHash()}\n`);
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  fs.renameSync(partial, LIBS_DIR);
  say(`Resolved ${fs.readdirSync(LIBS_DIR).length - 1} jars in ${seconds(Date.now() - started)}`);
}

export function kafkaVersion(): string {
  const jar = fs.existsSync(LIBS_DIR) ? fs.readdirSync(LIBS_DIR).find((file) => /^kafka_2\.13-.+\.jar$/.test(file)) : undefined;
  return jar?.replace(/^kafka_2\.13-|\.jar$/g, '') ?? /<kafka\.version>([^<]+)</.exec(fs.readFileSync(POM, 'utf8'))?.[1] ?? 'unknown';
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Kafka logs WARN and above to the node's stdout.log, everything at INFO to logs/server.log. */
function log4jConfig(topo: Topology): string {
  const file = path.join(topo.dir, 'log4j2.yaml');
  fs.writeFileSync(
    file,
    `Configuration:
  Appenders:
    Console: { name: STDOUT, PatternLayout: { pattern: "[%d] %p %m (%c)%n" } }
    RollingFile:
      name: FILE
      fileName: "\${sys:kafka.logs.dir}/server.log"
      filePattern: "\${sys:kafka.logs.dir}/server.log.%i"
      PatternLayout: { pattern: "[%d] %p %m (%c)%n" }
      SizeBasedTriggeringPolicy: { size: 20MB }
      DefaultRolloverStrategy: { max: 2 }
  Loggers:
    Root: { level: INFO, AppenderRef: [{ ref: FILE }, { ref: STDOUT, level: WARN }] }
    Logger:
      - { name: kafka.request.logger, level: WARN }
      - { name: state.change.logger, level: WARN }
      - { name: org.apache.kafka.clients.NetworkClient, level: WARN }
`,
  );
  return file;
}

/** Writes the node's server.properties; formats its storage the first time (its data then survives restarts). */
export async function prepareNode(topo: Topology, node: NodeLayout, overrides: Record<string, string>): Promise<boolean> {
  const paths = nodePaths(topo, node);
  fs.mkdirSync(paths.logs, { recursive: true });
  const properties = nodeProperties(topo, node, overrides);
  fs.writeFileSync(
    paths.config,
    `${Object.entries(properties)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n')}\n`,
  );
  const formatted = fs.existsSync(path.join(paths.data, 'meta.properties'));
  // Storage from before the SCRAM listener lacks its user: only a new format adds it.
  if (formatted && (!node.scramPort || fs.existsSync(paths.scramStamp))) return false;
  fs.rmSync(paths.data, { recursive: true, force: true });
  const scram = node.scramPort ? ['--add-scram', `${SCRAM.mechanism}=[name=${SCRAM.username},password=${SCRAM.password}]`] : [];
  const format = await run(javaBin(), [
    ...['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${log4jConfig(topo)}`],
    `-Dkafka.logs.dir=${paths.logs}`,
    ...['-cp', classpath(), 'kafka.tools.StorageTool', 'format', '--config', paths.config, '--cluster-id', clusterId(topo), ...scram],
  ]);
  if (format.code !== 0) throw new Error(`Formatting the storage of node ${node.id} failed:\n${format.stdout}${format.stderr}`);
  if (node.scramPort) fs.writeFileSync(paths.scramStamp, `${SCRAM.username}\n`);
  return true;
}

/** One cluster id per mode, kept beside its nodes: every node of a cluster is formatted with it. */
function clusterId(topo: Topology): string {
  const file = path.join(topo.dir, 'cluster.id');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url');
  fs.writeFileSync(file, `${id}\n`);
  return id;
}

/** Starts the node's JVM detached, so that it outlives this process, and records its pid. */
export function launch(topo: Topology, node: NodeLayout): number {
  const paths = nodePaths(topo, node);
  const heap = process.env.KAFKA_HEAP_OPTS?.split(/\s+/).filter(Boolean) ?? topo.heap;
  // C1 alone reaches a started JVM on half the CPU: the cluster's four JVMs share two cores, and
  // serve fault tests rather than benchmarks; the tests' brokers restart often.
  const jit = topo.quickStart || topo.mode === 'cluster' || !node.port ? ['-XX:TieredStopAtLevel=1'] : [];
  const args = [
    ...heap,
    ...jit,
    ...['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'],
    `-Dlog4j2.configurationFile=${log4jConfig(topo)}`,
    `-Dkafka.logs.dir=${paths.logs}`,
    ...['-cp', classpath(), 'kafka.Kafka', paths.config],
  ];
  fs.appendFileSync(paths.stdout, `\n===== ${new Date().toISOString()} starting node ${node.id} =====\n`);
  const out = fs.openSync(paths.stdout, 'a');
  const child = spawn(javaBin(), args, { cwd: paths.dir, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.on('error', () => {}); // seen as a node that never answers
  child.unref();
  fs.writeFileSync(paths.pid, `${child.pid}\n`);
  return child.pid as number;
}

/** The pid of the node's JVM when it runs (checked against its command line, as pids are reused). */
export function runningPid(topo: Topology, node: NodeLayout): number | undefined {
  const paths = nodePaths(topo, node);
  const pid = Number.parseInt(fs.existsSync(paths.pid) ? fs.readFileSync(paths.pid, 'utf8') : '', 10);
  if (!(pid > 0)) return undefined;
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (commandLine.includes('kafka.Kafka') && commandLine.includes(paths.config) && processState(pid) !== 'Z') return pid;
  } catch {
    // gone
  }
  fs.rmSync(paths.pid, { force: true });
  return undefined;
}

/** R, S, T (stopped by SIGSTOP), Z…, from /proc/<pid>/stat. */
export function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

/**
 * Sends `signal` and waits for the exit; SIGKILL after the timeout. A paused JVM gets SIGCONT
 * before SIGTERM, to shut down cleanly, but not before SIGKILL: even a moment's resume lets it
 * serve the requests waiting in its sockets, and a kill must not.
 */
export async function stopProcess(topo: Topology, node: NodeLayout, signal: 'SIGTERM' | 'SIGKILL', timeoutMs: number): Promise<boolean> {
  const pid = runningPid(topo, node);
  if (!pid) return false;
  const gone = () => runningPid(topo, node) !== pid;
  if (signal === 'SIGTERM') signalProcess(pid, 'SIGCONT');
  signalProcess(pid, signal);
  if (!(await waitFor(gone, timeoutMs, 100))) {
    console.warn(`node ${node.id} (pid ${pid}) did not exit within ${seconds(timeoutMs)}; sending SIGKILL`);
    signalProcess(pid, 'SIGKILL');
    await waitFor(gone, 10_000, 100);
  }
  fs.rmSync(nodePaths(topo, node).pid, { force: true });
  return true;
}

/** A process that exited meanwhile needs no signal. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() >= until) return false;
    await sleep(Math.min(intervalMs, until - Date.now()));
  }
}

/** One start or stop of a mode at a time, across processes (`npm run dev` twice, say). */
export async function withLock<T>(topo: Pick<Topology, 'dir'>, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(topo.dir, { recursive: true });
  const lock = path.join(topo.dir, '.lock');
  const acquired = await waitFor(
    () => {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        return true;
      } catch {
        let owner = 0;
        try {
          owner = Number(fs.readFileSync(lock, 'utf8'));
        } catch {
          // released meanwhile
        }
        // A lock whose owner died is stale.
        if (owner > 0 && processState(owner) === undefined) fs.rmSync(lock, { force: true });
        return false;
      }
    },
    timeoutMs,
    250,
  );
  if (!acquired) throw new Error(`${lock} is held by another process`);
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * A Java program of the project's (the tests' referee, the bench's Java producer), compiled
 * against the resolved jars on first use and again whenever its source changes.
 */
export async function compiledJava(source: string): Promise<{ classpath: string; mainClass: string }> {
  const mainClass = path.basename(source, '.java');
  const hash = createHash('sha256')
    .update(fs.readFileSync(source))
    .update(fs.readFileSync(path.join(LIBS_DIR, '.resolved')))
    .digest('hex');
  const classes = path.join(LIBS_DIR, '..', 'classes', `${mainClass}-${hash.slice(0, 12)}`);
  if (!fs.existsSync(path.join(classes, `${mainClass}.class`))) {
    const partial = `${classes}.partial-${process.pid}`;
    const javac = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
    const compiled = await run(javac, ['-nowarn', '-d', partial, '-cp', classpath(), source], 120_000);
    if (compiled.code !== 0) fs.rmSync(partial, { recursive: true, force: true });
    if (compiled.code !== 0) throw new Error(`javac ${source} failed:\n${compiled.stdout}${compiled.stderr}`);
    fs.rmSync(classes, { recursive: true, force: true });
    fs.renameSync(partial, classes);
  }
  return { classpath: classpath(classes), mainClass };
}
