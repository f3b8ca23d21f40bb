import type { FileHandle } from 'node:fs/promises';

/**
 * A buffered writer of UTF-8 bytes for the synthetic generator. A file of
 * tens of millions of rows is built from a few thousand distinct words, so
 * the generator encodes each word once (`encodeText`) and copies its bytes
 * here, and writes numbers digit by digit: no string or object is made per
 * row, and the garbage collector, most of the old generator's time, has
 * almost nothing to do. Two buffers alternate, so one is filled while the
 * other is being written to the file.
 */

/** Bytes per buffer; `full` turns true a little before, so a line always fits. */
const chunkBytes = 1 << 22;
const lineRoom = 1 << 16;

const encoder = new TextEncoder();

/** UTF-8 bytes of a text, for writing it many times. */
export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Appends bytes to a file through two alternating buffers. */
export class ByteSink {
  /** The buffer being filled. */
  buf = new Uint8Array(chunkBytes);
  /** Bytes of `buf` filled so far. */
  pos = 0;
  private spare = new Uint8Array(chunkBytes);
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: FileHandle) {}

  /** True when the caller should `flush` before starting another line. */
  get full(): boolean {
    return this.pos > this.buf.length - lineRoom;
  }

  /** Makes room for `n` more bytes; grows the buffer in the rare case a line is longer. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  /** Appends bytes (short words are copied in a loop, cheaper than a native call). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    const at = this.pos;
    if (n > 32) buf.set(b, at);
    else for (let i = 0; i < n; i++) buf[at + i] = b[i]!;
    this.pos = at + n;
  }

  /** Appends again the `length` bytes that start at `from` in the current buffer. */
  again(from: number, length: number): void {
    this.room(length);
    this.buf.copyWithin(this.pos, from, from + length);
    this.pos += length;
  }

  /** Appends one byte (an ASCII character code). */
  byte(code: number): void {
    this.room(1);
    this.buf[this.pos++] = code;
  }

  /** Appends a text of any characters, encoding it (for rare, irregular values). */
  text(s: string): void {
    this.room(s.length * 3);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** Appends a whole number from 0 to 99 as two digits. */
  twoDigits(n: number): void {
    this.room(2);
    const tens = (n / 10) | 0;
    this.buf[this.pos] = 48 + tens;
    this.buf[this.pos + 1] = 48 + n - tens * 10;
    this.pos += 2;
  }

  /** Appends a whole number >= 0 in decimal, at least `width` digits (zero-padded). */
  uint(n: number, width = 1): void {
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits += 1;
    const len = digits > width ? digits : width;
    this.room(len);
    const buf = this.buf;
    let at = this.pos + len;
    this.pos = at;
    if (n < 0x80000000) {
      for (let i = 0; i < len; i++) {
        const q = (n / 10) | 0;
        buf[--at] = 48 + n - q * 10;
        n = q;
      }
      return;
    }
    for (let i = 0; i < len; i++) {
      const q = Math.floor(n / 10);
      buf[--at] = 48 + n - q * 10;
      n = q;
    }
  }

  /** Hands the filled buffer to the file and continues in the other one. */
  async flush(): Promise<void> {
    if (this.pos === 0) return;
    await this.pending;
    const filled = this.buf;
    this.pending = writeAll(this.file, filled.subarray(0, this.pos));
    // marked as handled here; the next flush or close awaits it and throws its error
    this.pending.catch(() => undefined);
    this.buf = this.spare;
    this.spare = filled;
    this.pos = 0;
  }

  /** Flushes and waits until every byte has reached the file. */
  async close(): Promise<void> {
    await this.flush();
    await this.pending;
  }
}

/** Writes every byte (a file write may take less than asked). */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}
