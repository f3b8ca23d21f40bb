import { createCipheriv, createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * Where noise comes from. Production uses `cryptoSource` only; tests inject
 * `seededSource` to make statistical checks reproducible. The built-in JS PRNG is
 * never used: its state can be recovered from its outputs, so noise drawn from
 * it could be predicted and subtracted.
 */
export interface RandomSource {
  /** A uniform integer in [0, n); n must be positive. */
  uniformBelow(n: bigint): bigint;
}

/** randomInt accepts ranges below 2^48 only. */
const RANDOM_INT_LIMIT = 2n ** 48n;

function checkBound(n: bigint): void {
  if (n <= 0n) throw new RangeError('uniformBelow needs a positive bound');
}

/**
 * Uniform integer in [0, n) by rejection: draw just enough bytes for n - 1,
 * mask off the unused top bits, retry when the value is >= n. Each try
 * succeeds with probability above 1/2, and no value is favoured (modulo
 * reduction would favour small values).
 */
export function rejectionSample(n: bigint, bytes: (count: number) => Buffer): bigint {
  checkBound(n);
  if (n === 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const count = Math.ceil(bits / 8);
  const topMask = (1 << (bits - 8 * (count - 1))) - 1;
  for (;;) {
    const buf = bytes(count);
    buf[0] = buf[0]! & topMask;
    const value =
      count <= 6 ? BigInt(buf.readUIntBE(0, count)) : BigInt(`0x${buf.toString('hex')}`);
    if (value < n) return value;
  }
}

/** The production source: the operating system's CSPRNG through node:crypto. */
export const cryptoSource: RandomSource = {
  uniformBelow(n: bigint): bigint {
    checkBound(n);
    if (n < RANDOM_INT_LIMIT) return BigInt(randomInt(Number(n)));
    return rejectionSample(n, (count) => randomBytes(count));
  },
};

const KEYSTREAM_CHUNK = 65536;

/**
 * A deterministic source for tests: the AES-256-CTR keystream (key =
 * sha256(seed), zero IV) read through the same rejection sampling. Equal
 * seeds give equal sequences; the stream is indistinguishable from uniform
 * for any statistical test we run.
 */
export function seededSource(seed: string): RandomSource {
  const key = createHash('sha256').update(seed, 'utf8').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(KEYSTREAM_CHUNK);
  let pool = Buffer.alloc(0);
  let offset = 0;
  const bytes = (count: number): Buffer => {
    if (offset + count > pool.length) {
      pool = Buffer.concat([pool.subarray(offset), cipher.update(zeros)]);
      offset = 0;
    }
    const out = Buffer.from(pool.subarray(offset, offset + count));
    offset += count;
    return out;
  };
  return { uniformBelow: (n) => rejectionSample(n, bytes) };
}
