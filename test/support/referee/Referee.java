import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The tests' referee: Kafka's own Java consumer reads back what the publisher wrote, so that no
 * check depends on kafkajs, the client under test. No consumer group: partitions are assigned
 * by hand and nothing is committed.
 *
 * Usage:
 *   Referee read BOOTSTRAP TOPIC [--partition P] [--from OFFSET] [--count N] [--timeout-ms T] [--property key=value]...
 *     One JSON line per record, from OFFSET (default: the beginning) up to the end offsets the
 *     partitions had when the read began, or N records: partition, offset, key, value, headers,
 *     timestamp (ms), timestampType. Keys, values and headers are decoded as UTF-8; null stays null.
 *   Referee end-offsets BOOTSTRAP TOPIC [--property key=value]...
 *     One JSON object: partition to end offset (the high watermark).
 * Exits 2, with the reason on stderr, when the reads do not reach the end within the timeout.
 */
public class Referee {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: Referee read|end-offsets BOOTSTRAP TOPIC [options]");
      System.exit(64);
    }
    String command = args[0];
    String topic = args[2];
    Integer onlyPartition = null;
    Long from = null;
    long count = Long.MAX_VALUE;
    long timeoutMs = 60_000;
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[1]);
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    // At the end of the log the broker would hold each fetch 500 ms for more data.
    properties.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    for (int i = 3; i < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--partition" -> onlyPartition = Integer.parseInt(value);
        case "--from" -> from = Long.parseLong(value);
        case "--count" -> count = Long.parseLong(value);
        case "--timeout-ms" -> timeoutMs = Long.parseLong(value);
        case "--property" -> properties.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    ObjectMapper json = new ObjectMapper();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
      List<TopicPartition> partitions = new ArrayList<>();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(timeoutMs));
      if (infos == null || infos.isEmpty()) fail("topic " + topic + " does not exist");
      for (PartitionInfo info : infos) {
        if (onlyPartition == null || info.partition() == onlyPartition) partitions.add(new TopicPartition(topic, info.partition()));
      }
      if (partitions.isEmpty()) fail(topic + " has no partition " + onlyPartition);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofMillis(timeoutMs));
      if (command.equals("end-offsets")) {
        Map<Integer, Long> byPartition = new LinkedHashMap<>();
        partitions.stream().sorted((a, b) -> a.partition() - b.partition()).forEach(p -> byPartition.put(p.partition(), ends.get(p)));
        System.out.println(json.writeValueAsString(byPartition));
        return;
      }
      if (!command.equals("read")) fail("unknown command " + command);
      consumer.assign(partitions);
      if (from == null) consumer.seekToBeginning(partitions);
      else for (TopicPartition partition : partitions) consumer.seek(partition, from);
      long deadline = System.currentTimeMillis() + timeoutMs;
      long printed = 0;
      StringBuilder out = new StringBuilder();
      while (printed < count && !reachedEnd(consumer, partitions, ends)) {
        if (System.currentTimeMillis() > deadline) fail("read " + printed + " records of " + topic + " before the timeout; ends " + ends);
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (printed >= count || record.offset() >= ends.get(new TopicPartition(topic, record.partition()))) continue;
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
          out.append(json.writeValueAsString(line)).append('\n');
          printed++;
        }
        System.out.print(out);
        out.setLength(0);
      }
      System.out.flush();
    }
  }

  private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Map<TopicPartition, Long> ends) {
    for (TopicPartition partition : partitions) if (consumer.position(partition) < ends.get(partition)) return false;
    return true;
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private static void fail(String reason) {
    System.err.println("Referee: " + reason);
    System.exit(2);
  }
}
