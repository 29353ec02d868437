/**
 * A POSIX ustar archive writer (IEEE Std 1003.1, "pax" format's ustar header), enough for plain
 * files: each entry is a 512-byte header, the data, zero padding to 512 bytes; two zero blocks end
 * the archive. A header states the size first, so each entry is a Buffer; large content is split
 * into several entries by the caller.
 */
export interface TarEntry {
  /** Relative path, '/'-separated, at most 100 bytes (no prefix field needed). */
  name: string;
  data: Buffer;
  mtime: Date;
}

const block = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export function tarHeader(entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length > 100) throw new RangeError(`tar entry name longer than 100 bytes: ${entry.name}`);
  const header = Buffer.alloc(block);
  name.copy(header, 0);
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(entry.data.length, 12), 124, 'ascii');
  header.write(octal(Math.floor(entry.mtime.getTime() / 1000), 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('sensorbro', 265, 'ascii');
  header.write('sensorbro', 297, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** The archive's bytes, entry by entry: pulled as the consumer reads. */
export async function* tarStream(entries: AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield tarHeader(entry);
    if (entry.data.length > 0) yield entry.data;
    const padding = (block - (entry.data.length % block)) % block;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield Buffer.alloc(block * 2);
}
