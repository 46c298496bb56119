import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { type Config, zlibHasZstd } from '../config';

/**
 * The codecs a record batch may be compressed with. gzip is kafkajs's own; snappy is
 * kafkajs-snappy (pure JavaScript, so one bundle serves x86 and arm64 Lambdas); zstd is Node's own
 * zlib (22.15 and later, so Lambda's nodejs24.x), which needs no native addon either. lz4 is left
 * out: its codecs for kafkajs are native addons, built per architecture.
 *
 * All three are registered whatever KAFKA_COMPRESSION says: reading the log (the record finder)
 * must decode batches written by an earlier configuration, or by another producer.
 */

type ZstdZlib = typeof zlib & {
  zstdCompress?: (buffer: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
  zstdDecompress?: (buffer: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
};

const zlibWithZstd = zlib as ZstdZlib;
if (zlibHasZstd()) {
  const compress = promisify(zlibWithZstd.zstdCompress as NonNullable<ZstdZlib['zstdCompress']>);
  const decompress = promisify(zlibWithZstd.zstdDecompress as NonNullable<ZstdZlib['zstdDecompress']>);
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => compress(encoder.buffer),
    decompress: (buffer: Buffer) => decompress(buffer),
  });
}
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

const TYPES: Record<Config['kafka']['compression'], CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  zstd: CompressionTypes.ZSTD,
};

export function compressionType(codec: Config['kafka']['compression']): CompressionTypes {
  return TYPES[codec];
}
