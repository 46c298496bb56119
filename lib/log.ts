import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

export type Logger = Pick<PowertoolsLogger, 'debug' | 'info' | 'warn' | 'error' | 'appendKeys'>;

export function createLogger(level: string): PowertoolsLogger {
  return new PowertoolsLogger({ serviceName: 'order-publisher', logLevel: level as 'INFO' });
}
