import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * The partition Kafka's own Java producer picks for a key (BuiltInPartitioner.partitionForKey):
 * toPositive(murmur2(utf8(key))) % partitions. Run as a single-file program on the broker's jars:
 *   java -cp '.kafka/libs/*' test/support/java-partitioner.java 3 key1 key2 ...
 */
public class JavaPartitioner {
  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    for (int i = 1; i < args.length; i++) {
      byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
      System.out.println(args[i] + " " + Utils.toPositive(Utils.murmur2(key)) % partitions);
    }
  }
}
