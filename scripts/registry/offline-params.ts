/**
 * The registry variables of `npm run dev`'s environment as serverless parameters: serverless.yml
 * gives the functions their SCHEMA_* variables from these (as KAFKA_BROKERS from kafkaBrokers), so
 * that serverless-offline runs them as a deploy would.
 */
const PARAMS: Record<string, string> = {
  SCHEMA_REGISTRY_URL: 'schemaRegistryUrl',
  SCHEMA_FORMAT: 'schemaFormat',
  SCHEMA_SUBJECT_STRATEGY: 'schemaSubjectStrategy',
  SCHEMA_REGISTRY_AUTH: 'schemaRegistryAuth',
  SCHEMA_REGISTRY_SECRET_ARN: 'schemaRegistrySecretArn',
  SCHEMA_AUTO_REGISTER: 'schemaAutoRegister',
};

export function registryParams(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(PARAMS).flatMap(([variable, param]) => (env[variable] ? ['--param', `${param}=${env[variable]}`] : []));
}
