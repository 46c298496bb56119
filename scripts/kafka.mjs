#!/usr/bin/env node
// Local Apache Kafka (KRaft) for development and tests, without Docker.
//
// The broker jars come from Maven Central through ../pom.xml; the broker JVMs run detached, and
// everything they write (jars, configs, data, logs, pid files) lives under the git-ignored .kafka/
// folder in the repository root. Admin requests speak the Kafka wire protocol directly over
// node:net (Metadata, CreateTopics, ElectLeaders, ApiVersions), so this file needs nothing but
// Node built-ins, a JDK >= 17 and Maven (Maven only while the jars are not resolved yet).
//
// Usage (also: node scripts/kafka.mjs help):
//   node scripts/kafka.mjs start  [--brokers 1|3] [--topic T] [--partitions N] [--rf N] [--override k=v]... [--restart]
//   node scripts/kafka.mjs stop   [--brokers 1|3]          (no flag: everything this script started)
//   node scripts/kafka.mjs status
//   node scripts/kafka.mjs topic  --name T [--partitions N] [--rf N] [--config k=v]... [--brokers 1|3]
//   node scripts/kafka.mjs node   <stop|kill|pause|resume|start> <nodeId> [--brokers 1|3] [--fenced]
//   node scripts/kafka.mjs leader <topic> <partition> [--brokers 1|3]
//   node scripts/kafka.mjs elect  [--topic T] [--brokers 1|3]   (preferred-leader election)
//
// Topologies:
//   single  (--brokers 1, default): node 1, broker+controller; PLAINTEXT 127.0.0.1:9092,
//                                   SASL_PLAINTEXT 127.0.0.1:9094 (SCRAM-SHA-512 only, user
//                                   order-publisher / local-scram-password: SCRAM_USERNAME,
//                                   SCRAM_PASSWORD, SCRAM_BOOTSTRAP; created by the storage
//                                   format, no ACLs), CONTROLLER 127.0.0.1:9093. Replication and
//                                   the controller stay PLAINTEXT. Dir .kafka/single/; storage
//                                   formatted before SCRAM existed (no node-1/scram-formatted) is
//                                   re-formatted, data lost, by the next start that launches it.
//   cluster (--brokers 3):          node 100 controller-only on 127.0.0.1:19093; brokers
//                                   1, 2, 3 on 127.0.0.1:19092, 19192, 19292 (broker N on
//                                   19092 + 100*(N-1), below Linux's ephemeral port range).
//                                   Dir .kafka/cluster/.
//
// Environment: KAFKA_TOPIC, KAFKA_TOPIC_PARTITIONS, KAFKA_NODE_OVERRIDES ("k=v,k2=v2" or one per
// line; a comma splits only before another "key="), KAFKA_START_TIMEOUT_MS (default 60000),
// KAFKA_STATE_DIR (default <repo>/.kafka), KAFKA_HEAP_OPTS (replaces the -Xms/-Xmx defaults),
// JAVA_HOME (java is taken from $JAVA_HOME/bin when set), KAFKA_C1_ONLY (1/0: JIT choice, see
// c1Only), KAFKA_CDS=0 (no class-data-sharing archive), KAFKA_MJS_VERBOSE=1 (start phases),
// KAFKA_PORT_OFFSET (added to every port above; with its own KAFKA_STATE_DIR, a second instance).

import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STATE_DIR = path.resolve(process.env.KAFKA_STATE_DIR || path.join(ROOT, '.kafka'));
const LIBS_DIR = path.join(STATE_DIR, 'libs');
const LIBS_STAMP = path.join(LIBS_DIR, '.resolved');
const POM = path.join(ROOT, 'pom.xml');
const HOST = '127.0.0.1';

export const DEFAULT_TOPIC = 'order-events';
export const DEFAULT_PARTITIONS = 3;

const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const NO_CONTROLLER_STOP_TIMEOUT_MS = 5_000;
const MAVEN_TIMEOUT_MS = 10 * 60_000;

// ---------------------------------------------------------------------------------------------
// Topology
// ---------------------------------------------------------------------------------------------

/** Settings for every node of a mode. Controllers need them too: in KRaft the controller applies
 *  num.partitions / default.replication.factor to CreateTopics requests that leave them unset. */
const COMMON = {
  single: {
    'num.partitions': '3',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
  },
  cluster: {
    'num.partitions': '3',
    'default.replication.factor': '3',
    'min.insync.replicas': '2',
    'offsets.topic.replication.factor': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'share.coordinator.state.topic.replication.factor': '3',
    'share.coordinator.state.topic.min.isr': '2',
    'group.initial.rebalance.delay.ms': '0',
  },
};

/** Added to every port, so that a second checkout (with its own KAFKA_STATE_DIR) can run beside this one. */
const PORT_OFFSET = Number(process.env.KAFKA_PORT_OFFSET ?? 0);
const port = (n) => n + PORT_OFFSET;

const TOPOLOGY = {
  single: {
    mode: 'single',
    brokers: 1,
    voters: `1@${HOST}:${port(9093)}`,
    heap: ['-Xms256m', '-Xmx512m'],
    nodes: [{ id: 1, roles: 'broker,controller', port: port(9092), controllerPort: port(9093), scramPort: port(9094) }],
  },
  cluster: {
    mode: 'cluster',
    brokers: 3,
    voters: `100@${HOST}:${port(19093)}`,
    heap: ['-Xms192m', '-Xmx384m'],
    nodes: [
      { id: 100, roles: 'controller', controllerPort: port(19093) },
      { id: 1, roles: 'broker', port: port(19092) },
      { id: 2, roles: 'broker', port: port(19192) },
      { id: 3, roles: 'broker', port: port(19292) },
    ],
  },
};

const bootstrapOf = (topo) =>
  topo.nodes
    .filter((n) => n.port)
    .map((n) => `${HOST}:${n.port}`)
    .join(',');

export const SINGLE_BOOTSTRAP = bootstrapOf(TOPOLOGY.single);
export const CLUSTER_BOOTSTRAP = bootstrapOf(TOPOLOGY.cluster);

/** Node layout, for tests that want to reason about ports and ids. */
export const TOPOLOGIES = JSON.parse(JSON.stringify(TOPOLOGY));

// SCRAM-SHA-512 on the single node, so that the MSK SCRAM code path (kafkajs sasl, credentials
// from a secret) runs against a real broker. MSK's SCRAM listener is TLS-only; locally it is
// SASL_PLAINTEXT, as kafkajs' SASL handshake is the same either way. The user is written into the
// metadata log when the storage is formatted (StorageTool --add-scram), so it exists from the
// broker's first start without a separate admin step. No authorizer: any authenticated principal
// may produce, as on an MSK cluster without ACLs.
const SCRAM_MECHANISM = 'SCRAM-SHA-512';
export const SCRAM_USERNAME = 'order-publisher';
export const SCRAM_PASSWORD = 'local-scram-password';
export const SCRAM_BOOTSTRAP = `${HOST}:${TOPOLOGY.single.nodes[0].scramPort}`;
/** Which credentials a node's storage was formatted with; a mismatch (or none) means re-format. */
const SCRAM_STAMP = `${SCRAM_MECHANISM} ${SCRAM_USERNAME} ${createHash('sha256').update(SCRAM_PASSWORD).digest('hex').slice(0, 16)}\n`;

function topologyFor(brokers) {
  const n = Number(brokers ?? 1);
  if (n === 1) return TOPOLOGY.single;
  if (n === 3) return TOPOLOGY.cluster;
  throw new Error(`--brokers must be 1 or 3 (got ${brokers})`);
}

const modeDir = (topo) => path.join(STATE_DIR, topo.mode);
function nodePaths(topo, node) {
  const dir = path.join(modeDir(topo), `node-${node.id}`);
  return {
    dir,
    config: path.join(dir, 'server.properties'),
    data: path.join(dir, 'data'),
    logs: path.join(dir, 'logs'),
    serverLog: path.join(dir, 'logs', 'server.log'),
    stdout: path.join(dir, 'stdout.log'),
    pid: path.join(dir, 'kafka.pid'),
    /** Written after a format with --add-scram; its absence marks storage from before SCRAM. */
    scramStamp: path.join(dir, 'scram-formatted'),
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const log = (quiet, ...args) => {
  if (!quiet) console.log(...args);
};
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const T0 = Date.now();
/** KAFKA_MJS_VERBOSE=1 prints the phases of a start with their times. */
const phase = (msg) => {
  if (process.env.KAFKA_MJS_VERBOSE) console.log(`[kafka.mjs +${secs(Date.now() - T0)}] ${msg}`);
};

function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return '';
  }
}

/** Output of the latest start in a node's stdout.log (after the last "=====" banner). */
function lastRun(file, lines) {
  const text = tail(file, 2000);
  const i = text.lastIndexOf('\n===== ');
  const run = (i >= 0 ? text.slice(text.indexOf('\n', i + 1) + 1) : text).trimEnd().split('\n');
  return run.slice(-lines).join('\n');
}

function parseOverrides(input) {
  if (!input) return {};
  if (typeof input === 'object' && !Array.isArray(input)) {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)]));
  }
  const items = Array.isArray(input)
    ? input
    : String(input)
        .split(/\s*[\n;]\s*|\s*,\s*(?=[A-Za-z0-9_.-]+=)/)
        .filter(Boolean);
  const out = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`override must look like key=value: "${item}"`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

let javaVersionText;
function javaVersionOutput() {
  if (javaVersionText === undefined) {
    const r = spawnSync(javaBin(), ['-version'], { encoding: 'utf8' });
    javaVersionText = r.error || r.status !== 0 ? null : `${r.stderr}${r.stdout}`;
  }
  return javaVersionText;
}

function javaMajor() {
  const text = javaVersionOutput();
  if (text === null) return null;
  const m = /version "([^"]+)"/.exec(text);
  if (!m) return null;
  const parts = m[1].split(/[.+_-]/).map(Number);
  return parts[0] === 1 ? parts[1] : parts[0];
}

function hasCommand(cmd) {
  const r = spawnSync(cmd, ['-v'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

function kafkaVersion() {
  try {
    const jar = fs.readdirSync(LIBS_DIR).find((f) => /^kafka_2\.1\d-.+\.jar$/.test(f));
    if (jar) return jar.replace(/^kafka_2\.1\d-/, '').replace(/\.jar$/, '');
  } catch {}
  const m = /<kafka\.version>([^<]+)</.exec(fs.readFileSync(POM, 'utf8'));
  return m ? m[1] : 'unknown';
}

/** Kafka's Uuid string form: 16 random bytes, base64url without padding, not starting with '-'. */
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping
// ---------------------------------------------------------------------------------------------

function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Is `pid` alive and a Kafka JVM started with `configPath` (guards against pid reuse)? */
function isOurProcess(pid, configPath) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  let cmdline = null;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    const r = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    cmdline = r.status === 0 ? r.stdout : '';
  }
  return cmdline.includes('kafka.Kafka') && cmdline.includes(configPath);
}

function processState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3); // R, S, T (stopped), Z...
  } catch {
    return null;
  }
}

/** Pid of the running JVM for this node, or null (and a stale pid file is removed). */
function runningPid(topo, node) {
  const p = nodePaths(topo, node);
  const pid = readPid(p.pid);
  if (pid && isOurProcess(pid, p.config)) return pid;
  if (pid) fs.rmSync(p.pid, { force: true });
  return null;
}

async function waitFor(predicate, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

async function withLock(topo, timeoutMs, fn) {
  fs.mkdirSync(modeDir(topo), { recursive: true });
  const lock = path.join(modeDir(topo), '.lock');
  const acquired = await waitFor(
    () => {
      try {
        fs.mkdirSync(lock);
        fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
        return true;
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
        const owner = readPid(path.join(lock, 'pid'));
        let ownerAlive = false;
        if (owner) {
          try {
            process.kill(owner, 0);
            ownerAlive = true;
          } catch {}
        }
        // Stale lock: owner dead, or the owner never wrote its pid (crash) and it is old.
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
        if (!ownerAlive && (owner || age > 5000)) fs.rmSync(lock, { recursive: true, force: true });
        return false;
      }
    },
    timeoutMs,
    250,
  );
  if (!acquired) throw new Error(`timed out waiting for ${lock} (another kafka.mjs running?)`);
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal Kafka wire protocol client (Metadata v5, CreateTopics v4, ApiVersions v0)
// ---------------------------------------------------------------------------------------------

const ERRORS = {
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  17: 'INVALID_TOPIC_EXCEPTION',
  19: 'NOT_ENOUGH_REPLICAS',
  36: 'TOPIC_ALREADY_EXISTS',
  37: 'INVALID_PARTITIONS',
  38: 'INVALID_REPLICATION_FACTOR',
  39: 'INVALID_REPLICA_ASSIGNMENT',
  40: 'INVALID_CONFIG',
  41: 'NOT_CONTROLLER',
  42: 'INVALID_REQUEST',
};
const errName = (code) => ERRORS[code] ?? `error ${code}`;

class Writer {
  constructor() {
    this.parts = [];
  }
  int8(v) {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  string(s) {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  array(items, fn) {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) fn(this, item);
    return this;
  }
  buffer() {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.o = 0;
  }
  int8() {
    const v = this.buf.readInt8(this.o);
    this.o += 1;
    return v;
  }
  int16() {
    const v = this.buf.readInt16BE(this.o);
    this.o += 2;
    return v;
  }
  int32() {
    const v = this.buf.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  string() {
    const len = this.int16();
    if (len < 0) return null;
    const s = this.buf.toString('utf8', this.o, this.o + len);
    this.o += len;
    return s;
  }
  array(fn) {
    const n = this.int32();
    if (n < 0) return null;
    const out = [];
    for (let i = 0; i < n; i++) out.push(fn(this));
    return out;
  }
}

let correlation = 0;

/** One request/response on a fresh connection. Resolves with the response body. */
function kafkaRequest(address, apiKey, apiVersion, body, { timeoutMs = 5000 } = {}) {
  const [host, portStr] = address.split(':');
  correlation = (correlation + 1) & 0x7fffffff;
  const id = correlation;
  const header = new Writer().int16(apiKey).int16(apiVersion).int32(id).string('kafka.mjs').buffer();
  const payload = Buffer.concat([header, body]);
  const frame = Buffer.concat([new Writer().int32(payload.length).buffer(), payload]);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(portStr) });
    let chunks = Buffer.alloc(0);
    const done = (err, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`${address}: no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (d) => {
      chunks = Buffer.concat([chunks, d]);
      if (chunks.length >= 4 && chunks.length >= 4 + chunks.readInt32BE(0)) {
        const size = chunks.readInt32BE(0);
        const resp = chunks.subarray(4, 4 + size);
        if (resp.readInt32BE(0) !== id) done(new Error(`${address}: correlation id mismatch`));
        else done(null, resp.subarray(4));
      }
    });
    socket.on('error', (e) => done(new Error(`${address}: ${e.code || e.message}`)));
    socket.on('close', () => done(new Error(`${address}: connection closed`)));
  });
}

function parseMetadataV5(body) {
  const r = new Reader(body);
  r.int32(); // throttle
  const brokers = r.array((x) => ({
    nodeId: x.int32(),
    host: x.string(),
    port: x.int32(),
    rack: x.string(),
  }));
  const clusterId = r.string();
  const controllerId = r.int32();
  const topics = r.array((x) => ({
    errorCode: x.int16(),
    name: x.string(),
    isInternal: x.int8() !== 0,
    partitions: x.array((p) => ({
      errorCode: p.int16(),
      partition: p.int32(),
      leader: p.int32(),
      replicas: p.array((q) => q.int32()),
      isr: p.array((q) => q.int32()),
      offlineReplicas: p.array((q) => q.int32()),
    })),
  }));
  for (const t of topics) t.partitions.sort((a, b) => a.partition - b.partition);
  brokers.sort((a, b) => a.nodeId - b.nodeId);
  return { brokers, clusterId, controllerId, topics };
}

const splitBootstrap = (b) => (Array.isArray(b) ? b : String(b).split(',')).map((s) => s.trim()).filter(Boolean);

/** Metadata from the first bootstrap address that answers. topics: null = all, [] = none. */
async function metadata(bootstrap, topics = [], { timeoutMs = 3000 } = {}) {
  const body = new Writer()
    .array(topics, (w, t) => w.string(t))
    .int8(0) // allow_auto_topic_creation = false
    .buffer();
  const errors = [];
  for (const address of splitBootstrap(bootstrap)) {
    try {
      return { ...parseMetadataV5(await kafkaRequest(address, 3, 5, body, { timeoutMs })), via: address };
    } catch (e) {
      errors.push(e.message);
    }
  }
  throw new Error(`no broker answered a metadata request (${errors.join('; ')})`);
}

async function apiVersionsOk(address, timeoutMs = 2000) {
  try {
    const body = await kafkaRequest(address, 18, 0, Buffer.alloc(0), { timeoutMs });
    return body.readInt16BE(0) === 0;
  } catch {
    return false;
  }
}

function portOpen(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.on('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** ElectLeaders v1, preferred-replica election. topicPartitions: null = every partition. */
async function electLeadersRequest(bootstrap, topicPartitions) {
  const body = new Writer()
    .int8(0) // election_type: preferred
    .array(topicPartitions, (w, [topic, partitions]) => {
      w.string(topic).array(partitions, (pw, p) => pw.int32(p));
    })
    .int32(15_000)
    .buffer();
  const errors = [];
  for (const address of splitBootstrap(bootstrap)) {
    try {
      const r = new Reader(await kafkaRequest(address, 43, 1, body, { timeoutMs: 20_000 }));
      r.int32();
      const errorCode = r.int16();
      const results = r.array((x) => ({
        topic: x.string(),
        partitions: x.array((y) => ({ partition: y.int32(), errorCode: y.int16(), message: y.string() })),
      }));
      return { errorCode, results };
    } catch (e) {
      errors.push(e.message);
    }
  }
  throw new Error(`no broker answered ElectLeaders (${errors.join('; ')})`);
}

async function createTopicsRequest(bootstrap, { name, partitions, replicationFactor, configs }) {
  const body = new Writer()
    .array([null], (w) => {
      w.string(name).int32(partitions).int16(replicationFactor);
      w.array([], () => {});
      w.array(Object.entries(configs), (cw, [k, v]) => cw.string(k).string(String(v)));
    })
    .int32(30_000)
    .int8(0)
    .buffer();
  const errors = [];
  for (const address of splitBootstrap(bootstrap)) {
    try {
      const r = new Reader(await kafkaRequest(address, 19, 4, body, { timeoutMs: 35_000 }));
      r.int32();
      const [res] = r.array((x) => ({ name: x.string(), errorCode: x.int16(), message: x.string() }));
      return res;
    } catch (e) {
      errors.push(e.message);
    }
  }
  throw new Error(`no broker answered CreateTopics (${errors.join('; ')})`);
}

// ---------------------------------------------------------------------------------------------
// Jars, configs, storage
// ---------------------------------------------------------------------------------------------

function checkJava() {
  const major = javaMajor();
  if (major === null) {
    throw new Error(
      `Java not found: "${javaBin()} -version" failed. Install a JDK >= 17 (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME.`,
    );
  }
  if (major < 17) {
    throw new Error(`Java ${major} found, but Kafka 4.x needs Java >= 17. Install a newer JDK or set JAVA_HOME.`);
  }
  return major;
}

function pomHash() {
  return createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
}

function libsFresh() {
  try {
    const stamp = fs.statSync(LIBS_STAMP);
    if (fs.statSync(POM).mtimeMs <= stamp.mtimeMs) return true;
    return fs.readFileSync(LIBS_STAMP, 'utf8').trim() === pomHash();
  } catch {
    return false;
  }
}

async function resolveJars({ quiet }) {
  if (libsFresh()) return;
  if (!hasCommand('mvn')) {
    throw new Error(
      'Maven not found: "mvn" is needed once to download the Kafka jars from pom.xml into .kafka/libs (apt-get install maven).',
    );
  }
  const t0 = Date.now();
  log(quiet, 'Resolving Kafka jars with Maven (pom.xml -> .kafka/libs) ...');
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const tmp = path.join(STATE_DIR, `libs.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const args = ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'];
  const { code, output } = await run('mvn', args, { cwd: ROOT, timeoutMs: MAVEN_TIMEOUT_MS });
  if (code !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`Maven failed (exit ${code}) resolving the Kafka jars:\n${output.slice(-4000)}`);
  }
  fs.writeFileSync(path.join(tmp, '.resolved'), `${pomHash()}\n`);
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, LIBS_DIR);
  log(quiet, `Resolved ${fs.readdirSync(LIBS_DIR).length - 1} jars in ${secs(Date.now() - t0)}`);
}

function log4jConfigPath() {
  const file = path.join(STATE_DIR, 'log4j2.xml');
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/kafka.mjs. Full INFO log in <node>/logs/server.log; WARN+ also on stdout
     (<node>/stdout.log, together with anything the JVM itself prints). -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
    <RollingFile name="FILE" fileName="\${sys:kafka.logs.dir}/server.log"
                 filePattern="\${sys:kafka.logs.dir}/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="2"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="FILE"/>
      <AppenderRef ref="STDOUT" level="WARN"/>
    </Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.authorizer.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.clients.NetworkClient" level="WARN"/>
    <Logger name="org.apache.kafka.common.utils.AppInfoParser" level="WARN"/>
    <Logger name="org.eclipse.jetty" level="WARN"/>
  </Loggers>
</Configuration>
`;
  fs.mkdirSync(STATE_DIR, { recursive: true });
  let current = null;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch {}
  if (current !== xml) fs.writeFileSync(file, xml);
  return file;
}

function nodeProperties(topo, node, overrides) {
  const p = nodePaths(topo, node);
  const props = {
    'process.roles': node.roles,
    'node.id': String(node.id),
    'controller.quorum.voters': topo.voters,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${node.scramPort ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
  };
  const listeners = [];
  if (node.port) listeners.push(`PLAINTEXT://${HOST}:${node.port}`);
  if (node.scramPort) listeners.push(`SASL_PLAINTEXT://${HOST}:${node.scramPort}`);
  if (node.controllerPort) listeners.push(`CONTROLLER://${HOST}:${node.controllerPort}`);
  props.listeners = listeners.join(',');
  if (node.port) {
    props['advertised.listeners'] = listeners.filter((l) => !l.startsWith('CONTROLLER:')).join(',');
    // Replication and the controller stay PLAINTEXT: only clients authenticate.
    props['inter.broker.listener.name'] = 'PLAINTEXT';
  }
  if (node.scramPort) {
    props['sasl.enabled.mechanisms'] = SCRAM_MECHANISM;
    props['listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config'] =
      'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  props['log.dirs'] = p.data;
  Object.assign(props, COMMON[topo.mode], overrides);
  return props;
}

function writeConfig(topo, node, overrides) {
  const p = nodePaths(topo, node);
  fs.mkdirSync(p.logs, { recursive: true });
  const props = nodeProperties(topo, node, overrides);
  const text = [
    `# Written by scripts/kafka.mjs (${topo.mode} mode, node ${node.id}); rewritten on every start.`,
    ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
  fs.writeFileSync(p.config, text);
  return p.config;
}

function classpath() {
  return `${LIBS_DIR}${path.sep}*`;
}

/**
 * Runs a command to its end and resolves with its exit code (null when killed at the timeout) and
 * its stdout and stderr together; rejects only when it cannot be started.
 */
function run(command, args, { cwd, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') return reject(error);
      resolve({ code: error ? (error.killed ? null : error.code) : 0, output: `${stdout}${stderr}` });
    });
  });
}

function runJava(args, options) {
  return run(javaBin(), args, options);
}

/** Storage formatted before the node had its SCRAM user (or with other credentials)? */
function lacksScramUser(topo, node) {
  const p = nodePaths(topo, node);
  if (!node.scramPort || !fs.existsSync(path.join(p.data, 'meta.properties'))) return false;
  try {
    return fs.readFileSync(p.scramStamp, 'utf8') !== SCRAM_STAMP;
  } catch {
    return true;
  }
}

/** Format the node's log dir once; an already formatted dir is kept (its data survives restarts). */
async function formatStorage(topo, node, clusterId, log4j) {
  const p = nodePaths(topo, node);
  if (fs.existsSync(path.join(p.data, 'meta.properties'))) return false;
  // A stamp left from an earlier data dir must not vouch for this one until the format succeeds.
  fs.rmSync(p.scramStamp, { force: true });
  const cds = cdsFiles();
  const { code, output } = await runJava([
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    ...(cds && fs.existsSync(cds.archive) ? [`-XX:SharedArchiveFile=${cds.archive}`] : []),
    `-Dlog4j2.configurationFile=${log4j}`,
    `-Dkafka.logs.dir=${p.logs}`,
    '-cp',
    classpath(),
    'kafka.tools.StorageTool',
    'format',
    '--config',
    p.config,
    '--cluster-id',
    clusterId,
    '--ignore-formatted',
    // The password lands on this short-lived JVM's command line: fine for a fixed local one.
    ...(node.scramPort ? ['--add-scram', `${SCRAM_MECHANISM}=[name=${SCRAM_USERNAME},password=${SCRAM_PASSWORD}]`] : []),
  ]);
  if (code !== 0) throw new Error(`formatting storage of node ${node.id} failed (exit ${code}):\n${output}`);
  if (node.scramPort) fs.writeFileSync(p.scramStamp, SCRAM_STAMP);
  return true;
}

function clusterIdFor(topo) {
  const file = path.join(modeDir(topo), 'cluster.id');
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch {}
  const id = newClusterId();
  fs.mkdirSync(modeDir(topo), { recursive: true });
  fs.writeFileSync(file, `${id}\n`);
  return id;
}

// Class data sharing: the JVM start is CPU bound (~6-7 CPU-seconds per Kafka JVM, which hurts
// with 4 JVMs on 2 cores). The first clean stop of a broker writes a dynamic AppCDS archive of
// the classes it loaded (-XX:ArchiveClassesAtExit, ~50 MB, adds ~3 s to that one stop); later
// JVMs map it (-XX:SharedArchiveFile) and start with about half the CPU. The archive is keyed on
// the jars, the JDK and the path; a JVM that finds it unusable just logs a warning and goes on
// without it. KAFKA_CDS=0 turns this off.
function cdsFiles() {
  if (process.env.KAFKA_CDS === '0') return null;
  let jars = '';
  try {
    jars = fs.readFileSync(LIBS_STAMP, 'utf8');
  } catch {}
  const key = createHash('sha256').update(`${jars}\n${javaBin()}\n${javaVersionOutput()}\n${LIBS_DIR}`).digest('hex').slice(0, 12);
  const dir = path.join(STATE_DIR, 'cds');
  return { dir, archive: path.join(dir, `kafka-${key}.jsa`) };
}

/** JVM flags for CDS; dump=true lets this JVM write the archive (at its clean exit). */
function cdsArgs(topo, node, dump) {
  const cds = cdsFiles();
  const marker = path.join(nodePaths(topo, node).dir, 'cds-dump');
  fs.rmSync(marker, { force: true });
  if (!cds) return [];
  if (fs.existsSync(cds.archive)) return [`-XX:SharedArchiveFile=${cds.archive}`];
  if (!dump) return [];
  fs.mkdirSync(cds.dir, { recursive: true });
  const part = `${cds.archive}.part-${topo.mode}-${node.id}`;
  fs.rmSync(part, { force: true });
  fs.writeFileSync(marker, `${part}\n${cds.archive}\n`);
  // The dump lists every class it cannot archive as a warning; those are noise here.
  return [`-XX:ArchiveClassesAtExit=${part}`, '-Xlog:cds*=error'];
}

/** After a node's JVM has exited: keep the archive it dumped (clean exit) or drop it. */
function finishCdsDump(topo, node, cleanExit) {
  const marker = path.join(nodePaths(topo, node).dir, 'cds-dump');
  let part;
  let archive;
  try {
    [part, archive] = fs.readFileSync(marker, 'utf8').split('\n');
  } catch {
    return;
  }
  fs.rmSync(marker, { force: true });
  try {
    if (cleanExit && fs.statSync(part).size > 0) fs.renameSync(part, archive);
  } catch {}
  fs.rmSync(part, { force: true });
}

/**
 * JIT: the JVM start is CPU bound, and C1 alone (no C2) needs about half the CPU to get there,
 * for lower peak throughput. Used for a controller-only node (not on the produce path) and, by
 * default, for cluster mode, whose four JVMs share two cores and which serves fault tests rather
 * than benchmarks. KAFKA_C1_ONLY=1 forces it for every node, KAFKA_C1_ONLY=0 turns it off.
 */
function c1Only(topo, node) {
  if (process.env.KAFKA_C1_ONLY === '1') return true;
  if (process.env.KAFKA_C1_ONLY === '0') return false;
  return !node.port || topo.mode === 'cluster';
}

function launch(topo, node, log4j, { cdsDump = false } = {}) {
  const p = nodePaths(topo, node);
  const heap = process.env.KAFKA_HEAP_OPTS ? process.env.KAFKA_HEAP_OPTS.split(/\s+/).filter(Boolean) : topo.heap;
  const args = [
    ...heap,
    ...cdsArgs(topo, node, cdsDump && Boolean(node.port)),
    ...(c1Only(topo, node) ? ['-XX:TieredStopAtLevel=1'] : []),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    `-Dkafka.logs.dir=${p.logs}`,
    '-cp',
    classpath(),
    'kafka.Kafka',
    p.config,
  ];
  fs.appendFileSync(p.stdout, `\n===== ${new Date().toISOString()} starting node ${node.id} =====\n`);
  const out = fs.openSync(p.stdout, 'a');
  let child;
  try {
    child = spawn(javaBin(), args, { cwd: p.dir, detached: true, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  child.on('error', () => {}); // reported through the readiness wait (process gone)
  child.unref();
  fs.writeFileSync(p.pid, `${child.pid}\n`);
  return child.pid;
}

function failureReport(topo, nodes) {
  return nodes
    .map((node) => {
      const p = nodePaths(topo, node);
      const running = runningPid(topo, node);
      return [
        `--- node ${node.id} (${running ? `pid ${running} running` : 'not running'})`,
        `--- tail of ${path.relative(ROOT, p.serverLog)}:`,
        tail(p.serverLog, 30),
        `--- ${path.relative(ROOT, p.stdout)} (JVM output and WARN+ since the last start):`,
        lastRun(p.stdout, 20),
      ].join('\n');
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------------------

const brokerNodes = (topo) => topo.nodes.filter((n) => n.port);

/** Is the node answering: a broker is listed in metadata (registered and unfenced); a
 *  controller-only node answers ApiVersions on its controller port. */
async function nodeAnswers(topo, node) {
  if (!node.port) return apiVersionsOk(`${HOST}:${node.controllerPort}`);
  const lists = (md) => md.brokers.some((b) => b.nodeId === node.id);
  const own = await metadata(`${HOST}:${node.port}`, [], { timeoutMs: 2000 }).catch(() => null);
  if (!own || !lists(own)) return false;
  // A broker resumed after SIGSTOP may still list itself from a stale cache while the
  // controller has fenced it: ask the other live brokers too.
  const others = brokerNodes(topo).filter((n) => n !== node && runningPid(topo, n));
  if (others.length === 0) return true;
  const md = await metadata(
    others.map((n) => `${HOST}:${n.port}`),
    [],
    { timeoutMs: 2000 },
  ).catch(() => null);
  return !md || lists(md);
}

async function waitNodesReady(topo, nodes, timeoutMs) {
  const pending = new Set(nodes);
  const ok = await waitFor(async () => {
    for (const node of [...pending]) {
      if (await nodeAnswers(topo, node)) pending.delete(node);
      else if (!runningPid(topo, node)) {
        throw new Error(`Kafka node ${node.id} exited during startup.\n${failureReport(topo, [node])}`);
      }
    }
    return pending.size === 0;
  }, timeoutMs);
  if (!ok) {
    const ids = [...pending].map((n) => n.id).join(', ');
    const controllers = topo.nodes.filter((n) => n.controllerPort && !pending.has(n));
    const down = controllers.filter((n) => !runningPid(topo, n)).map((n) => n.id);
    const hint = down.length
      ? ` The controller (node ${down.join(', ')}) is not running: a broker cannot register without it (node start ${down[0]}).`
      : '';
    throw new Error(`Kafka node(s) ${ids} did not become ready within ${secs(timeoutMs)}.${hint}\n${failureReport(topo, [...pending])}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Is Kafka answering metadata requests?
 * @param {{ brokers?: 1|3, bootstrap?: string, all?: boolean, timeoutMs?: number }} [opts]
 *   all: every broker of the topology must be registered (not just one answering).
 */
export async function brokersReachable(opts = {}) {
  const topo = topologyFor(opts.brokers ?? 1);
  const bootstrap = opts.bootstrap ?? bootstrapOf(topo);
  try {
    const md = await metadata(bootstrap, [], { timeoutMs: opts.timeoutMs ?? 2000 });
    if (!opts.all) return true;
    return brokerNodes(topo).every((n) => md.brokers.some((b) => b.nodeId === n.id));
  } catch {
    return false;
  }
}

/** Cluster metadata: brokers, controller id and the given topics (null = all topics). */
export async function clusterMetadata(opts = {}) {
  const topo = topologyFor(await defaultBrokers(opts));
  return metadata(opts.bootstrap ?? bootstrapOf(topo), opts.topics === undefined ? [] : opts.topics);
}

/** Partition metadata of one topic, or null when the topic does not exist. */
export async function describeTopic(topic, opts = {}) {
  const topo = topologyFor(await defaultBrokers(opts));
  const md = await metadata(opts.bootstrap ?? bootstrapOf(topo), [topic]);
  const t = md.topics.find((x) => x.name === topic);
  if (!t || t.errorCode === 3) return null;
  if (t.errorCode !== 0 && t.errorCode !== 5) throw new Error(`metadata for ${topic}: ${errName(t.errorCode)}`);
  return t;
}

/** Leader node id of a partition (-1 when it has no leader right now). */
export async function leaderOf(topic, partition, opts = {}) {
  const t = await describeTopic(topic, opts);
  if (!t) throw new Error(`topic ${topic} does not exist`);
  const p = t.partitions.find((x) => x.partition === Number(partition));
  if (!p) throw new Error(`topic ${topic} has no partition ${partition} (it has ${t.partitions.length})`);
  return p.leader;
}

/**
 * Create a topic idempotently and wait until every partition has a leader.
 * @returns {Promise<{ created: boolean, partitions: number, replicationFactor: number }>}
 */
export async function createTopic(opts) {
  const name = opts.name ?? opts.topic;
  if (!name) throw new Error('createTopic: name is required');
  const topo = topologyFor(await defaultBrokers(opts));
  const bootstrap = opts.bootstrap ?? bootstrapOf(topo);
  const partitions = Number(opts.partitions ?? -1);
  const replicationFactor = Number(opts.replicationFactor ?? opts.rf ?? -1);
  const configs = parseOverrides(opts.configs ?? {});
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let created = false;
  for (;;) {
    const res = await createTopicsRequest(bootstrap, { name, partitions, replicationFactor, configs });
    if (res.errorCode === 0) {
      created = true;
      break;
    }
    if (res.errorCode === 36) break; // TOPIC_ALREADY_EXISTS
    // Brokers may still be registering (INVALID_REPLICATION_FACTOR) or the controller moving.
    const retriable = [7, 38, 41].includes(res.errorCode);
    if (!retriable || Date.now() > deadline) {
      throw new Error(`creating topic ${name} failed: ${errName(res.errorCode)}${res.message ? ` (${res.message})` : ''}`);
    }
    await sleep(250);
  }
  let topic = null;
  const ready = await waitFor(
    async () => {
      topic = await describeTopic(name, { bootstrap }).catch(() => null);
      return topic && topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0);
    },
    Math.max(1000, deadline - Date.now()),
  );
  if (!ready) throw new Error(`topic ${name}: partitions without a leader after ${secs(timeoutMs)}`);
  const rf = topic.partitions[0].replicas.length;
  if (!created) {
    if (partitions > 0 && topic.partitions.length !== partitions) {
      console.warn(`warning: topic ${name} already exists with ${topic.partitions.length} partitions (asked for ${partitions})`);
    }
    if (replicationFactor > 0 && rf !== replicationFactor) {
      console.warn(`warning: topic ${name} already exists with replication factor ${rf} (asked for ${replicationFactor})`);
    }
  }
  return { created, partitions: topic.partitions.length, replicationFactor: rf };
}

/**
 * Move leadership back to each partition's preferred (first) replica where that replica is alive,
 * and wait (bounded) until metadata shows it. After a restart the first broker to register leads
 * every partition, and Kafka's own rebalance only runs every 5 minutes.
 * @returns {Promise<number>} how many partitions are now led by their preferred replica but were not
 */
export async function electPreferredLeaders(opts = {}) {
  const topo = topologyFor(await defaultBrokers(opts));
  const bootstrap = opts.bootstrap ?? bootstrapOf(topo);
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  const requested = new Set();
  let done = new Set();
  for (;;) {
    const md = await metadata(bootstrap, opts.topics ?? null);
    const alive = new Set(md.brokers.map((b) => b.nodeId));
    const pending = []; // preferred replica alive but not leading
    const electable = []; // ... and in sync, so an election can succeed now
    done = new Set();
    for (const t of md.topics) {
      if (t.isInternal && !opts.topics) continue;
      for (const p of t.partitions) {
        const preferred = p.replicas[0];
        if (p.replicas.length < 2 || !alive.has(preferred)) continue;
        const key = `${t.name}:${p.partition}`;
        if (p.leader === preferred) {
          done.add(key);
          continue;
        }
        pending.push(key);
        if (p.isr.includes(preferred)) electable.push([t.name, p.partition, key]);
      }
    }
    if (pending.length === 0 || Date.now() >= deadline) break;
    if (electable.length) {
      const byTopic = new Map();
      for (const [topic, partition, key] of electable) {
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
        requested.add(key);
      }
      await electLeadersRequest(bootstrap, [...byTopic]).catch(() => null);
    }
    await sleep(300);
  }
  return [...requested].filter((k) => done.has(k)).length;
}

/** Which mode to address when the caller did not say: cluster if its JVMs run, else single. */
async function defaultBrokers(opts) {
  if (opts.brokers !== undefined) return Number(opts.brokers);
  return TOPOLOGY.cluster.nodes.some((n) => runningPid(TOPOLOGY.cluster, n)) ? 3 : 1;
}

/**
 * Start Kafka (no-op when it already answers) and create the default topic.
 * @returns {Promise<import("./kafka.d.mts").StartResult>}
 */
export async function startKafka(opts = {}) {
  const t0 = Date.now();
  const topo = topologyFor(opts.brokers ?? 1);
  const quiet = opts.quiet ?? false;
  const timeoutMs = Number(opts.timeoutMs ?? process.env.KAFKA_START_TIMEOUT_MS ?? DEFAULT_START_TIMEOUT_MS);
  const overrides = { ...parseOverrides(process.env.KAFKA_NODE_OVERRIDES), ...parseOverrides(opts.overrides) };
  const topicName = opts.topic ?? process.env.KAFKA_TOPIC ?? DEFAULT_TOPIC;
  const partitions = Number(opts.partitions ?? process.env.KAFKA_TOPIC_PARTITIONS ?? DEFAULT_PARTITIONS);
  const replicationFactor = Number(opts.replicationFactor ?? opts.rf ?? topo.brokers);
  const bootstrap = bootstrapOf(topo);

  return withLock(topo, timeoutMs + 30_000, async () => {
    let running = topo.nodes.filter((n) => runningPid(topo, n));
    if (running.length > 0 && opts.restartIfOverridesDiffer && !sameOverrides(topo, overrides)) {
      log(quiet, `Restarting Kafka ${topo.mode} mode to apply overrides ${JSON.stringify(overrides)}`);
      await stopKafka({ brokers: topo.brokers, quiet: true });
      running = [];
    }
    const missing = topo.nodes.filter((n) => !running.includes(n));
    let startedByUs = false;
    let external = false;
    let version = kafkaVersion();

    if (missing.length === 0) {
      await waitNodesReady(topo, topo.nodes, timeoutMs); // normally answers at once
      log(quiet, `Kafka already running on ${bootstrap} (started earlier by scripts/kafka.mjs)`);
      warnIfOverridesDiffer(topo, overrides);
      if (topo.nodes.some((n) => lacksScramUser(topo, n))) {
        console.warn(
          `warning: the running ${topo.mode} node predates the ${SCRAM_MECHANISM} listener on ${SCRAM_BOOTSTRAP}; stop it (node scripts/kafka.mjs stop --brokers 1) and start again to get it (re-formats its storage)`,
        );
      }
    } else if (running.length === 0 && (await brokersReachable({ bootstrap, all: true, brokers: topo.brokers, timeoutMs: 1500 }))) {
      log(quiet, `Kafka already running on ${bootstrap} (not started by scripts/kafka.mjs; overrides not applied)`);
      external = true;
    } else {
      for (const node of missing) {
        for (const port of [node.port, node.scramPort, node.controllerPort].filter(Boolean)) {
          if (await portOpen(port)) {
            throw new Error(
              `port ${port} (node ${node.id}) is already in use by another process; stop it first (e.g. "docker compose down")`,
            );
          }
        }
      }
      checkJava();
      await resolveJars({ quiet });
      phase('java checked, jars resolved');
      version = kafkaVersion();
      const log4j = log4jConfigPath();
      const clusterId = clusterIdFor(topo);
      for (const node of topo.nodes) writeConfig(topo, node, overrides);
      for (const node of missing.filter((n) => lacksScramUser(topo, n))) {
        log(
          quiet,
          `Re-formatting ${topo.mode} node ${node.id} storage (deleting its topics and data): it lacks the ${SCRAM_MECHANISM} user ${SCRAM_USERNAME}`,
        );
        fs.rmSync(nodePaths(topo, node).data, { recursive: true, force: true });
      }
      fs.writeFileSync(path.join(modeDir(topo), 'overrides.json'), `${JSON.stringify(overrides)}\n`);
      const formatted = await Promise.all(missing.map((n) => formatStorage(topo, n, clusterId, log4j)));
      phase('storage formatted (or already)');
      if (formatted.some(Boolean)) {
        log(
          quiet,
          `Formatted storage for node(s) ${missing
            .filter((_, i) => formatted[i])
            .map((n) => n.id)
            .join(', ')}`,
        );
      }
      const dumper = missing.find((n) => n.port);
      for (const node of missing) launch(topo, node, log4j, { cdsDump: node === dumper });
      startedByUs = true;
      try {
        phase('JVMs launched');
        await waitNodesReady(topo, topo.nodes, timeoutMs);
        phase('all nodes answer');
      } catch (e) {
        for (const node of missing) await stopNode(topo, node, { signal: 'SIGKILL' });
        e.message += `\n(killed the node(s) started here: ${missing.map((n) => n.id).join(', ')})`;
        throw e;
      }
    }

    const topic = await createTopic({
      name: topicName,
      partitions,
      replicationFactor: Math.min(replicationFactor, topo.brokers),
      bootstrap,
      brokers: topo.brokers,
    });
    phase('topic ready');
    if (topo.brokers > 1) await electPreferredLeaders({ bootstrap, brokers: topo.brokers, topics: [topicName] });
    phase('preferred leaders');
    const elapsedMs = Date.now() - t0;
    if (startedByUs) {
      log(quiet, `Kafka ${version} ready on ${bootstrap} in ${secs(elapsedMs)}`);
    }
    log(
      quiet,
      `Topic ${topicName}: ${topic.partitions} partitions, replication factor ${topic.replicationFactor}${topic.created ? ' (created)' : ''}`,
    );
    return {
      bootstrap,
      startedByUs,
      brokers: topo.brokers,
      version,
      elapsedMs,
      topic: topicName,
      overrides: external ? {} : runningOverrides(topo),
    };
  });
}

function runningOverrides(topo) {
  try {
    return JSON.parse(fs.readFileSync(path.join(modeDir(topo), 'overrides.json'), 'utf8'));
  } catch {
    return {};
  }
}

const canonical = (o) => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const sameOverrides = (topo, overrides) => canonical(runningOverrides(topo)) === canonical(overrides);

function warnIfOverridesDiffer(topo, overrides) {
  if (!sameOverrides(topo, overrides) && Object.keys(overrides).length > 0) {
    console.warn(
      `warning: Kafka is already running with overrides ${JSON.stringify(runningOverrides(topo))}; requested ${JSON.stringify(overrides)} are NOT applied (stop it first, or pass restartIfOverridesDiffer / --restart)`,
    );
  }
}

async function controllerAlive(topo) {
  for (const n of topo.nodes.filter((x) => x.controllerPort)) {
    const pid = runningPid(topo, n);
    if (pid && processState(pid) !== 'T' && (await apiVersionsOk(`${HOST}:${n.controllerPort}`, 1000))) return true;
  }
  return false;
}

/** Stop one node: SIGCONT (in case it is paused), then `signal`; SIGKILL after the timeout. */
async function stopNode(topo, node, { signal = 'SIGTERM', timeoutMs: requestedTimeout } = {}) {
  const p = nodePaths(topo, node);
  const pid = runningPid(topo, node);
  if (!pid) return false;
  let timeoutMs = requestedTimeout ?? STOP_TIMEOUT_MS;
  // Without a live controller a broker-only node waits minutes for its controlled shutdown.
  if (node.roles === 'broker' && requestedTimeout === undefined && !(await controllerAlive(topo))) {
    timeoutMs = NO_CONTROLLER_STOP_TIMEOUT_MS;
  }
  const gone = () => !isOurProcess(pid, p.config) || processState(pid) === 'Z';
  try {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, signal);
  } catch {}
  let clean = signal !== 'SIGKILL';
  if (!(await waitFor(gone, signal === 'SIGKILL' ? 10_000 : timeoutMs, 100))) {
    console.warn(`node ${node.id} (pid ${pid}) did not exit within ${secs(timeoutMs)}; sending SIGKILL`);
    clean = false;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await waitFor(gone, 10_000, 100);
  }
  fs.rmSync(p.pid, { force: true });
  finishCdsDump(topo, node, clean);
  return true;
}

/**
 * Stop Kafka cleanly. brokers: 1 = single mode, 3 = cluster mode, omitted = everything this
 * script started. Brokers stop before the controller (a broker's controlled shutdown needs it).
 * @returns {Promise<number[]>} ids of the nodes that were stopped (ids repeat across modes)
 */
export async function stopKafka(opts = {}) {
  const topos = opts.brokers === undefined ? [TOPOLOGY.single, TOPOLOGY.cluster] : [topologyFor(opts.brokers)];
  const stopped = [];
  for (const topo of topos) {
    const t0 = Date.now();
    const stoppedHere = [];
    const brokers = topo.nodes.filter((n) => n.port);
    const controllersOnly = topo.nodes.filter((n) => !n.port);
    // Paused nodes first get SIGCONT: a broker's controlled shutdown needs a live controller.
    for (const n of topo.nodes) {
      const pid = runningPid(topo, n);
      if (pid && processState(pid) === 'T') process.kill(pid, 'SIGCONT');
    }
    for (const group of [brokers, controllersOnly]) {
      const results = await Promise.all(group.map((n) => stopNode(topo, n, { timeoutMs: opts.timeoutMs })));
      group.forEach((n, i) => {
        if (results[i]) stoppedHere.push(n.id);
      });
    }
    if (stoppedHere.length) {
      log(opts.quiet, `Stopped Kafka ${topo.mode} node(s) ${stoppedHere.join(', ')} in ${secs(Date.now() - t0)}`);
    }
    stopped.push(...stoppedHere);
  }
  if (stopped.length === 0) log(opts.quiet, 'Kafka is not running (nothing started by this script)');
  return stopped;
}

/**
 * Per-node fault control (cluster mode by default when it runs).
 *  stop   SIGTERM, wait for exit (SIGKILL after 30 s)   kill   SIGKILL, wait for exit
 *  pause  SIGSTOP                                        resume SIGCONT, wait until it answers
 *  start  start it again on its existing data dir, wait until registered / answering
 * opts.waitFenced (stop/kill of a broker): also wait until metadata no longer lists it.
 */
export async function nodeControl(action, nodeId, opts = {}) {
  const onlyInCluster = !TOPOLOGY.single.nodes.some((n) => n.id === Number(nodeId));
  const topo = topologyFor(opts.brokers ?? (onlyInCluster ? 3 : await defaultBrokers(opts)));
  const node = topo.nodes.find((n) => n.id === Number(nodeId));
  if (!node) {
    throw new Error(`no node ${nodeId} in ${topo.mode} mode (nodes: ${topo.nodes.map((n) => n.id).join(', ')})`);
  }
  const timeoutMs = Number(opts.timeoutMs ?? process.env.KAFKA_START_TIMEOUT_MS ?? DEFAULT_START_TIMEOUT_MS);
  const p = nodePaths(topo, node);
  const pid = runningPid(topo, node);
  const say = (msg) => log(opts.quiet, msg);
  const t0 = Date.now();
  switch (action) {
    case 'stop':
    case 'kill': {
      if (!pid) {
        say(`node ${node.id} is not running`);
        return;
      }
      await stopNode(topo, node, { signal: action === 'kill' ? 'SIGKILL' : 'SIGTERM' });
      if (opts.waitFenced && node.port) {
        const others = brokerNodes(topo).filter((n) => n !== node);
        await waitFor(async () => {
          const md = await metadata(
            others.map((n) => `${HOST}:${n.port}`),
            [],
          ).catch(() => null);
          return md && !md.brokers.some((b) => b.nodeId === node.id);
        }, 30_000);
      }
      say(`node ${node.id} ${action === 'kill' ? 'killed' : 'stopped'} (pid ${pid}) in ${secs(Date.now() - t0)}`);
      return;
    }
    case 'pause':
    case 'resume': {
      if (!pid) throw new Error(`node ${node.id} is not running`);
      process.kill(pid, action === 'pause' ? 'SIGSTOP' : 'SIGCONT');
      if (action === 'resume' && opts.wait !== false) {
        if (!(await waitFor(() => nodeAnswers(topo, node), timeoutMs))) {
          throw new Error(`node ${node.id} did not answer within ${secs(timeoutMs)} after resume`);
        }
      }
      say(`node ${node.id} ${action === 'pause' ? 'paused (SIGSTOP)' : 'resumed'} (pid ${pid})`);
      return;
    }
    case 'start': {
      if (pid) {
        if (processState(pid) === 'T') process.kill(pid, 'SIGCONT');
        say(`node ${node.id} is already running (pid ${pid})`);
        return;
      }
      if (!fs.existsSync(p.config) || !fs.existsSync(path.join(p.data, 'meta.properties'))) {
        throw new Error(`node ${node.id} was never set up; run "node scripts/kafka.mjs start --brokers ${topo.brokers}" first`);
      }
      for (const port of [node.port, node.scramPort, node.controllerPort].filter(Boolean)) {
        if (await portOpen(port)) throw new Error(`port ${port} of node ${node.id} is in use by another process`);
      }
      launch(topo, node, log4jConfigPath());
      await waitNodesReady(topo, [node], timeoutMs);
      say(`node ${node.id} started in ${secs(Date.now() - t0)}`);
      return;
    }
    default:
      throw new Error(`unknown node action "${action}" (stop|kill|pause|resume|start)`);
  }
}

/** Which nodes run, per mode. */
export async function kafkaStatus() {
  const out = [];
  for (const topo of [TOPOLOGY.single, TOPOLOGY.cluster]) {
    for (const node of topo.nodes) {
      const pid = runningPid(topo, node);
      const state = pid ? processState(pid) : null;
      out.push({
        mode: topo.mode,
        nodeId: node.id,
        roles: node.roles,
        port: node.port ?? null,
        scramPort: node.scramPort ?? null,
        controllerPort: node.controllerPort ?? null,
        pid,
        paused: state === 'T',
        answering: pid && state !== 'T' ? await nodeAnswers(topo, node) : false,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = `usage:
  node scripts/kafka.mjs start  [--brokers 1|3] [--topic T] [--partitions N] [--rf N] [--override k=v]... [--restart] [--timeout ms]
  node scripts/kafka.mjs stop   [--brokers 1|3]
  node scripts/kafka.mjs status
  node scripts/kafka.mjs topic  --name T [--partitions N] [--rf N] [--config k=v]... [--brokers 1|3]
  node scripts/kafka.mjs node   <stop|kill|pause|resume|start> <nodeId> [--brokers 1|3] [--fenced] [--no-wait]
  node scripts/kafka.mjs leader <topic> <partition> [--brokers 1|3]
  node scripts/kafka.mjs elect  [--topic T] [--brokers 1|3]   (preferred-leader election)

single mode (default): node 1 (broker+controller) on ${SINGLE_BOOTSTRAP}, SASL_PLAINTEXT ${SCRAM_BOOTSTRAP}
  (${SCRAM_MECHANISM}, user ${SCRAM_USERNAME}, password ${SCRAM_PASSWORD}), controller ${HOST}:${TOPOLOGY.single.nodes[0].controllerPort}
cluster mode (--brokers 3): controller node 100 on ${HOST}:${TOPOLOGY.cluster.nodes[0].controllerPort}, brokers 1,2,3 on ${CLUSTER_BOOTSTRAP}
env: KAFKA_TOPIC, KAFKA_TOPIC_PARTITIONS, KAFKA_NODE_OVERRIDES="k=v,k2=v2", KAFKA_START_TIMEOUT_MS, KAFKA_HEAP_OPTS`;

const BOOLEAN_FLAGS = new Set(['fenced', 'wait', 'restart']);

function parseArgs(argv) {
  const flags = { override: [], config: [] };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let [key, value] = a.slice(2).split(/=(.*)/s);
    if (key.startsWith('no-')) {
      flags[key.slice(3)] = false;
      continue;
    }
    if (BOOLEAN_FLAGS.has(key) && value === undefined) {
      flags[key] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${key} needs a value`);
    }
    if (Array.isArray(flags[key])) flags[key].push(value);
    else flags[key] = value;
  }
  return { flags, positional };
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  const { flags, positional } = parseArgs(rest);
  const brokers = flags.brokers !== undefined ? Number(flags.brokers) : undefined;
  switch (cmd) {
    case 'start':
      await startKafka({
        brokers: brokers ?? 1,
        overrides: flags.override,
        topic: flags.topic,
        partitions: flags.partitions,
        replicationFactor: flags.rf,
        timeoutMs: flags.timeout,
        restartIfOverridesDiffer: flags.restart === true,
      });
      return;
    case 'stop':
      await stopKafka({ brokers });
      return;
    case 'status': {
      const rows = await kafkaStatus();
      for (const r of rows) {
        const where = [
          r.port && `${HOST}:${r.port}`,
          r.scramPort && `SCRAM ${HOST}:${r.scramPort}`,
          r.controllerPort && `controller ${HOST}:${r.controllerPort}`,
        ]
          .filter(Boolean)
          .join(', ');
        const state = !r.pid
          ? 'not running'
          : r.paused
            ? `PAUSED (pid ${r.pid})`
            : `running (pid ${r.pid})${r.answering ? '' : ', not answering'}`;
        console.log(`${r.mode.padEnd(7)} node ${String(r.nodeId).padEnd(3)} ${r.roles.padEnd(17)} ${where.padEnd(68)} ${state}`);
      }
      return;
    }
    case 'topic': {
      const name = flags.name ?? flags.topic ?? positional[0];
      if (!name) throw new Error('topic: --name is required');
      const t0 = Date.now();
      const r = await createTopic({
        name,
        partitions: flags.partitions,
        replicationFactor: flags.rf,
        configs: flags.config,
        brokers,
      });
      console.log(
        `Topic ${name}: ${r.partitions} partitions, replication factor ${r.replicationFactor} (${r.created ? 'created' : 'already existed'}, ${secs(Date.now() - t0)})`,
      );
      return;
    }
    case 'node': {
      const [action, id] = positional;
      if (!action || id === undefined) throw new Error('usage: node <stop|kill|pause|resume|start> <nodeId>');
      await nodeControl(action, Number(id), { brokers, wait: flags.wait, waitFenced: flags.fenced === true });
      return;
    }
    case 'elect': {
      const topics = flags.topic ? [flags.topic] : undefined;
      const n = await electPreferredLeaders({ brokers, topics });
      console.log(`${n} partition(s) moved back to their preferred leader`);
      return;
    }
    case 'leader': {
      const [topic, partition] = positional;
      if (!topic || partition === undefined) throw new Error('usage: leader <topic> <partition>');
      console.log(await leaderOf(topic, Number(partition), { brokers }));
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new Error(`unknown command "${cmd}"\n${USAGE}`);
  }
}

const isMain = (() => {
  try {
    return process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isMain) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      console.error(`kafka.mjs: ${e.message}`);
      process.exit(1);
    },
  );
}
