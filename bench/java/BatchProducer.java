import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka's own Java producer, shaped like the batch handler: one warm producer, batches of records
 * (the same keys, values and headers as the Node cases), each sent, flushed and acknowledged
 * (acks=all) before the next starts. ProducerPerformance cannot do this: it has no keys, no
 * headers, and keeps sending without waiting, in one cold JVM.
 *
 * Usage: java -cp 'libs/*' BatchProducer.java BOOTSTRAP TOPIC RECORDS_FILE BATCH_SIZE WARMUP BATCHES
 * RECORDS_FILE: one record a line, key TAB value. Prints one JSON line: the time of each batch in ms.
 */
public class BatchProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    List<String> lines = Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8);
    int batchSize = Integer.parseInt(args[3]);
    int warmup = Integer.parseInt(args[4]);
    int batches = Integer.parseInt(args[5]);

    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-java-batch");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

    double[] times = new double[batches];
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (int batch = 0; batch < warmup + batches; batch++) {
        long started = System.nanoTime();
        List<Future<RecordMetadata>> acks = new ArrayList<>(batchSize);
        for (int index = 0; index < batchSize; index++) {
          String line = lines.get((batch * batchSize + index) % lines.size());
          int tab = line.indexOf('\t');
          RecordHeaders headers = new RecordHeaders();
          headers.add("event-id", "5b6f7c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e".getBytes(StandardCharsets.UTF_8));
          headers.add("event-type", "order.placed".getBytes(StandardCharsets.UTF_8));
          headers.add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
          headers.add("schema-version", "1".getBytes(StandardCharsets.UTF_8));
          headers.add("x-amzn-trace-id", "Root=1-67a1b2c3-0123456789abcdef01234567".getBytes(StandardCharsets.UTF_8));
          acks.add(producer.send(new ProducerRecord<>(topic, null, line.substring(0, tab), line.substring(tab + 1), headers)));
        }
        producer.flush();
        for (Future<RecordMetadata> ack : acks) ack.get();
        if (batch >= warmup) times[batch - warmup] = (System.nanoTime() - started) / 1e6;
      }
    }
    StringBuilder json = new StringBuilder("{\"batchMs\":[");
    for (int index = 0; index < times.length; index++) json.append(index == 0 ? "" : ",").append(times[index]);
    System.out.println(json.append("]}"));
  }
}
