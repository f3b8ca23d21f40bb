import type { ByteSink } from './byte-sink.js';

/**
 * The last lines written, so the generator can repeat one exactly, as a
 * re-exported ticket repeats. A kept line is only its place in the sink's
 * buffer; its bytes are copied out (`detach`) just before that buffer is
 * flushed, so keeping a line costs no copy and no allocation.
 */
export class RecentLines {
  /** How many lines are kept (at most the capacity). */
  count = 0;
  private readonly copies: Uint8Array[];
  /** Where each kept line starts in the sink's buffer, or -1 once it is in `copies`. */
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;

  constructor(private readonly capacity: number) {
    this.copies = Array.from({ length: capacity }, () => new Uint8Array(1024));
    this.starts = new Int32Array(capacity).fill(-1);
    this.lengths = new Int32Array(capacity);
  }

  /**
   * Keeps the line the sink holds from byte `from` to its end: in the next
   * free slot while there is one, else in slot `seq % capacity`.
   */
  keep(sink: ByteSink, from: number, seq: number): void {
    const slot = this.count < this.capacity ? this.count++ : seq % this.capacity;
    this.starts[slot] = from;
    this.lengths[slot] = sink.pos - from;
  }

  /** Writes the line kept in slot `slot` again. */
  repeat(sink: ByteSink, slot: number): void {
    const start = this.starts[slot]!;
    const length = this.lengths[slot]!;
    if (start >= 0) sink.again(start, length);
    else sink.bytes(this.copies[slot]!.subarray(0, length));
  }

  /** Copies the kept lines out of the sink's buffer; call it before each flush. */
  detach(sink: ByteSink): void {
    for (let slot = 0; slot < this.count; slot++) {
      const start = this.starts[slot]!;
      if (start < 0) continue;
      const length = this.lengths[slot]!;
      if (this.copies[slot]!.length < length) this.copies[slot] = new Uint8Array(2 * length);
      this.copies[slot]!.set(sink.buf.subarray(start, start + length));
      this.starts[slot] = -1;
    }
  }
}
