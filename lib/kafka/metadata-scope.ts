import type { Kafka } from 'kafkajs';
import Encoder from 'kafkajs/src/protocol/encoder.js';
import apiKeys from 'kafkajs/src/protocol/requests/apiKeys.js';
import Metadata from 'kafkajs/src/protocol/requests/metadata/index.js';
import { patchEveryBroker, privateSymbol } from './cluster';

/**
 * Our kafkajs clients ask metadata only for the topics they use.
 *
 * kafkajs 2.2.4 sends an empty topic list as null (src/protocol/encoder.js, writeNullableArray),
 * which Metadata v1+ reads as *every topic in the cluster*, and its response parser throws on the
 * first partition error of any topic (src/protocol/requests/metadata/v0/response.js). It sends an
 * empty list whenever a client has no topic yet: an idempotent producer's connect (InitProducerId
 * refreshes metadata before any send), the admin client's describeCluster, the cluster before its
 * first addTargetTopic. So one leaderless partition of another team's topic failed every cold start
 * (kafkajs#1460), and on MSK's IAM listener an all-topics answer is also slow (aws-msk-iam-auth#73).
 *
 * Scoped, a client's brokers send an empty list as an empty list: Kafka answers with the brokers
 * and the controller and no topic. Requests that name topics are kafkajs's own. The patch is per
 * client, not global: a kafkajs client of someone else in the same process keeps its semantics
 * (admin.listTopics and a topic-less fetchTopicMetadata still list every topic, but not on ours).
 */
export function scopeMetadataToNamedTopics(kafka: Kafka): Kafka {
  return patchEveryBroker(kafka, askNoTopicsWhenNoneAreNamed);
}

/** The highest Metadata version kafkajs 2.2.4 implements: every version up to it starts with the topic list. */
const HIGHEST_KNOWN_METADATA_VERSION = 6;
/** From v4 on, a Metadata request carries allow_auto_topic_creation after the topic list. */
const FIRST_VERSION_WITH_AUTO_CREATION = 4;

/**
 * kafkajs's own Metadata definition (versions and response parsers), but for no topics it encodes
 * a list of length 0 instead of null. Version 0 has no way to ask for no topics; Kafka 4 brokers
 * answer Metadata v6 to kafkajs, and the brokers we run are all 3.8 or later.
 */
const NO_TOPICS_METADATA = {
  versions: Metadata.versions,
  protocol: ({ version }: { version: number }) => {
    if (version < 1 || version > HIGHEST_KNOWN_METADATA_VERSION) {
      throw new Error(`Metadata v${version} cannot ask for no topics here (kafkajs 2.2.4 implements v1 to v6)`);
    }
    const build = Metadata.protocol({ version });
    return (args: { topics: string[]; allowAutoTopicCreation?: boolean }) => {
      const built = build(args);
      const encode = async () => {
        const encoder = new Encoder().writeArray([]);
        return version >= FIRST_VERSION_WITH_AUTO_CREATION ? encoder.writeBoolean(args.allowAutoTopicCreation ?? false) : encoder;
      };
      return { ...built, request: { ...built.request, encode } };
    };
  },
};

export function askNoTopicsWhenNoneAreNamed(broker: InternalBrokerShape): void {
  const sendRequest = privateSymbol(Object.getPrototypeOf(broker), 'private:Broker:sendRequest');
  const named = broker.metadata;
  broker.metadata = function metadata(this: InternalBrokerShape, topics: string[] = []) {
    if (topics.length > 0) return named.call(this, topics);
    const request = this.lookupRequest(apiKeys.Metadata, NO_TOPICS_METADATA);
    const send = (this as unknown as Record<symbol, (request: unknown) => Promise<unknown>>)[sendRequest] as (
      request: unknown,
    ) => Promise<unknown>;
    return send.call(this, request({ topics: [], allowAutoTopicCreation: this.allowAutoTopicCreation }));
  };
}

interface InternalBrokerShape {
  allowAutoTopicCreation: boolean;
  metadata(topics?: string[]): Promise<unknown>;
  lookupRequest(apiKey: number, definition: unknown): (args: unknown) => unknown;
}
