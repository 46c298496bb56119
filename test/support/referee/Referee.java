import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The tests' referee: Kafka's own Java consumer reads back what the publisher wrote, so that no
 * check depends on kafkajs, the client under test. No consumer group: partitions are assigned by
 * hand and nothing is committed.
 *
 * It serves requests, one JSON object a line on stdin, so that a test file pays for one JVM:
 *   {"command":"read","bootstrap":"…","topic":"…","partition":2,"from":77,"count":1,"timeoutMs":20000,"properties":{…}}
 *     Records from `from` (default: the beginning) of every partition (or the one), up to the end
 *     offsets they had when the read began, or `count` records: partition, offset, key, value,
 *     headers, timestamp (ms), timestampType. Keys, values and headers are UTF-8 text.
 *   {"command":"end-offsets","bootstrap":"…","topic":"…"}
 *     Each partition's end offset (high watermark).
 * and answers each with one line: {"records":[…]}, {"ends":{"0":12,…}} or {"error":"…"}.
 *
 * With "registry":"<base URL of a Confluent-compatible schema registry>", a read also decodes each
 * value framed in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, payload)
 * on its own, without the publisher's code: it fetches the schema by id from the registry's REST
 * API (GET /schemas/ids/{id}) and decodes Avro with Apache Avro's Java library; a JSON Schema
 * payload is given as text. Each record then has "frame": {"schemaId", "schemaType", "schema",
 * "decoded" (Avro, as JSON) or "payload" (JSON text)}; an unframed value has "frame": null.
 */
public class Referee {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  /** Schemas by registry and id: {"schemaType", "schema"}. */
  private static final Map<String, JsonNode> SCHEMAS = new LinkedHashMap<>();

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) continue;
      Object answer;
      try {
        answer = handle(JSON.readTree(line));
      } catch (Exception error) {
        answer = Map.of("error", String.valueOf(error));
      }
      out.println(JSON.writeValueAsString(answer));
      out.flush();
    }
  }

  private static Object handle(JsonNode request) throws Exception {
    String topic = request.path("topic").asText();
    long timeoutMs = request.path("timeoutMs").asLong(60_000);
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, request.path("bootstrap").asText());
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    // At the end of the log the broker would hold each fetch 500 ms for more data.
    properties.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    for (Iterator<Map.Entry<String, JsonNode>> it = request.path("properties").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> property = it.next();
      properties.put(property.getKey(), property.getValue().asText());
    }
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(timeoutMs));
      if (infos == null || infos.isEmpty()) throw new IllegalStateException("topic " + topic + " does not exist");
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        if (!request.has("partition") || info.partition() == request.get("partition").asInt()) partitions.add(new TopicPartition(topic, info.partition()));
      }
      if (partitions.isEmpty()) throw new IllegalStateException(topic + " has no partition " + request.get("partition"));
      partitions.sort((a, b) -> a.partition() - b.partition());
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofMillis(timeoutMs));
      String command = request.path("command").asText();
      if (command.equals("end-offsets")) {
        Map<String, Long> byPartition = new LinkedHashMap<>();
        for (TopicPartition partition : partitions) byPartition.put(String.valueOf(partition.partition()), ends.get(partition));
        return Map.of("ends", byPartition);
      }
      if (!command.equals("read")) throw new IllegalArgumentException("unknown command " + command);
      return Map.of("records", read(consumer, partitions, ends, request, timeoutMs));
    }
  }

  private static List<Map<String, Object>> read(
      KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Map<TopicPartition, Long> ends, JsonNode request, long timeoutMs) {
    long count = request.path("count").asLong(Long.MAX_VALUE);
    consumer.assign(partitions);
    if (request.has("from")) for (TopicPartition partition : partitions) consumer.seek(partition, request.get("from").asLong());
    else consumer.seekToBeginning(partitions);
    long deadline = System.currentTimeMillis() + timeoutMs;
    List<Map<String, Object>> records = new ArrayList<>();
    while (records.size() < count && !reachedEnd(consumer, partitions, ends)) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("read " + records.size() + " records before the timeout; ends " + ends);
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        if (records.size() >= count || record.offset() >= ends.get(new TopicPartition(record.topic(), record.partition()))) continue;
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("partition", record.partition());
        line.put("offset", record.offset());
        line.put("key", text(record.key()));
        line.put("value", text(record.value()));
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) headers.put(header.key(), text(header.value()));
        line.put("headers", headers);
        line.put("timestamp", record.timestamp());
        line.put("timestampType", record.timestampType().name);
        if (request.hasNonNull("registry")) line.put("frame", frame(request.get("registry").asText(), record.value()));
        records.add(line);
      }
    }
    return records;
  }

  /** A framed value decoded with the schema the registry has under its id; null when it is not framed. */
  private static Map<String, Object> frame(String registry, byte[] value) {
    if (value == null || value.length < 5 || value[0] != 0) return null;
    ByteBuffer buffer = ByteBuffer.wrap(value);
    buffer.get();
    int schemaId = buffer.getInt();
    byte[] payload = new byte[value.length - 5];
    buffer.get(payload);
    JsonNode registered = schemaById(registry, schemaId);
    String schemaType = registered.path("schemaType").asText("AVRO");
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("schemaId", schemaId);
    frame.put("schemaType", schemaType);
    frame.put("schema", registered.path("schema").asText());
    try {
      if (schemaType.equals("AVRO")) {
        Schema schema = new Schema.Parser().parse(registered.path("schema").asText());
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(payload, null);
        GenericRecord record = new GenericDatumReader<GenericRecord>(schema).read(null, decoder);
        if (!decoder.isEnd()) throw new IllegalStateException("bytes left after the record");
        Map<String, Object> decoded = new LinkedHashMap<>();
        for (Schema.Field field : schema.getFields()) {
          Object fieldValue = record.get(field.name());
          decoded.put(field.name(), fieldValue instanceof CharSequence ? fieldValue.toString() : fieldValue);
        }
        frame.put("decoded", decoded);
      } else {
        frame.put("payload", new String(payload, StandardCharsets.UTF_8));
      }
    } catch (Exception error) {
      frame.put("error", String.valueOf(error));
    }
    return frame;
  }

  private static JsonNode schemaById(String registry, int id) {
    return SCHEMAS.computeIfAbsent(registry + "#" + id, key -> {
      try {
        HttpResponse<String> response = HTTP.send(
            HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id)).header("accept", "application/vnd.schemaregistry.v1+json").build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new IllegalStateException("schema id " + id + ": HTTP " + response.statusCode() + " " + response.body());
        return JSON.readTree(response.body());
      } catch (Exception error) {
        throw new IllegalStateException("schema id " + id + " from " + registry + ": " + error, error);
      }
    });
  }

  private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Map<TopicPartition, Long> ends) {
    for (TopicPartition partition : partitions) if (consumer.position(partition) < ends.get(partition)) return false;
    return true;
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }
}
