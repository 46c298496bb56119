import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../bench/plan';
import { brokerLimits, DEFAULTS, NUMERIC_FLAGS, parseStormArgs } from '../../../bench/storm/flags';

describe('parseStormArgs', () => {
  it('gives defaults that fit a 2-core machine, with limits scaled from MSK (3 connections per broker per environment)', () => {
    // Act
    const options = parseStormArgs([]);
    // Assess
    expect(options).toEqual({
      environments: 300,
      ramp: 100,
      duration: 60,
      interval: 5,
      workers: 4,
      maxConnections: 900,
      connectionRate: 100,
      quotaSamples: 11,
      function: 'order',
      json: false,
      help: false,
    });
  });

  it('reads every flag, as "--flag value" and as "--flag=value"', () => {
    // Act
    const options = parseStormArgs([
      '--environments',
      '1000',
      '--ramp=50',
      '--duration',
      '30',
      '--interval=2',
      '--workers',
      '2',
      '--max-connections',
      '5000',
      '--connection-rate=20',
      '--quota-samples',
      '2',
      '--function',
      'batch',
      '--json',
    ]);
    // Assess
    expect(options).toEqual({
      environments: 1000,
      ramp: 50,
      duration: 30,
      interval: 2,
      workers: 2,
      maxConnections: 5000,
      connectionRate: 20,
      quotaSamples: 2,
      function: 'batch',
      json: true,
      help: false,
    });
  });

  it('scales max.connections with --environments unless it is given, and never runs more workers than environments', () => {
    // Act
    const options = parseStormArgs(['--environments', '3']);
    // Assess
    expect(options.maxConnections).toBe(9);
    expect(options.workers).toBe(3);
  });

  it.each([
    ['--environments', 'abc'],
    ['--environments', '1.5'],
    ['--environments', '0'],
    ['--environments', '3001'],
    ['--environments', '-5'],
    ['--environments', '1e3'],
    ['--environments', ' 300'],
    ['--ramp', '0'],
    ['--ramp', '1001'],
    ['--ramp', '2.5'],
    ['--duration', '0'],
    ['--duration', '3601'],
    ['--duration', 'ten'],
    ['--interval', '0'],
    ['--workers', '33'],
    ['--max-connections', '0'],
    ['--connection-rate', '100001'],
    ['--quota-samples', '0'],
  ])('refuses %s %j, naming the flag and its range', (flag, value) => {
    // Prepare
    const range = NUMERIC_FLAGS.find(({ key }) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` === flag);
    // Act
    const parse = () => parseStormArgs([flag, value]);
    // Assess
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(`${flag} must be a whole number from ${range?.min} to ${range?.max} (got ${JSON.stringify(value)})`);
  });

  it.each([[['--environments']], [['--ramp', '--json']], [['--duration=']]])('refuses a flag without its value: %j', (argv) => {
    // Act
    const parse = () => parseStormArgs(argv);
    // Assess
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(/needs a value: a whole number from \d+ to \d+|must be a whole number/);
  });

  it.each(['order', 'batch', 'health'])('runs environments of the %s function', (name) => {
    expect(parseStormArgs(['--function', name]).function).toBe(name);
    expect(parseStormArgs([`--function=${name}`]).function).toBe(name);
  });

  it('refuses another function, naming the flag and the choices', () => {
    expect(() => parseStormArgs(['--function', 'docs'])).toThrow('--function must be one of order, batch, health (got "docs")');
    expect(() => parseStormArgs(['--function'])).toThrow(UsageError);
  });

  it('refuses an unknown argument', () => {
    // Act
    const parse = () => parseStormArgs(['--environment', '5']);
    // Assess
    expect(parse).toThrow(/^Unknown argument --environment/);
  });

  it('asks for the usage with --help', () => {
    // Act
    const options = parseStormArgs(['--help']);
    // Assess
    expect(options.help).toBe(true);
  });
});

describe('brokerLimits', () => {
  it("puts the limits on the client listener only, with Kafka's own config names", () => {
    // Act
    const limits = brokerLimits({ maxConnections: 900, connectionRate: DEFAULTS.connectionRate, quotaSamples: DEFAULTS.quotaSamples });
    // Assess
    expect(limits.brokerConfig).toEqual({
      'listener.name.client.max.connections': '900',
      'listener.name.client.max.connection.creation.rate': '100',
      'quota.window.num': '11',
    });
    expect(limits).toMatchObject({ listener: 'CLIENT', maxConnectionsPerBroker: 900, maxConnectionCreationRatePerBroker: 100 });
  });
});
