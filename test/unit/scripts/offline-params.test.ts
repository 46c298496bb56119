import { describe, expect, it } from 'vitest';
import { registryParams } from '../../../scripts/registry/offline-params';

describe('npm run dev: the registry variables as serverless parameters', () => {
  it('passes each SCHEMA_* variable that is set, as it passes KAFKA_BROKERS', () => {
    expect(
      registryParams({
        SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
        SCHEMA_FORMAT: 'avro',
        SCHEMA_REGISTRY_AUTH: 'basic',
        SCHEMA_REGISTRY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf',
        SCHEMA_SUBJECT_STRATEGY: '',
      }),
    ).toEqual([
      '--param',
      'schemaRegistryUrl=http://127.0.0.1:8081/apis/ccompat/v7',
      '--param',
      'schemaFormat=avro',
      '--param',
      'schemaRegistryAuth=basic',
      '--param',
      'schemaRegistrySecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf',
    ]);
    expect(registryParams({ KAFKA_BROKERS: 'b:9092' })).toEqual([]);
  });
});
