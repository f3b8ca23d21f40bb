import { encodeText, type ByteSink } from './byte-sink.js';

/**
 * The words of the synthetic export, encoded once, and how they go into a
 * CSV field. A field is quoted exactly when it holds a quote, comma or line
 * break; each word knows whether it does, so the common case copies bytes
 * and only the rare field that needs quoting is built as a string.
 */

/** A word with its UTF-8 bytes and whether a field holding it needs CSV quoting. */
export interface Piece {
  text: string;
  bytes: Uint8Array;
  quote: boolean;
}

const needsQuotes = /[",\n\r]/;

/** Encodes one word. */
export function piece(text: string): Piece {
  return { text, bytes: encodeText(text), quote: needsQuotes.test(text) };
}

/** Encodes a list of words, keeping its order. */
export function pieces(texts: readonly string[]): Piece[] {
  return texts.map(piece);
}

/** A CSV field for a value, quoted only when it needs it. */
export function csvField(v: string): string {
  return needsQuotes.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Writes a value of any text as a CSV field (the slow path, for rare values). */
export function writeField(sink: ByteSink, v: string): void {
  sink.text(csvField(v));
}

/** ASCII codes the writers use. */
export const ascii = {
  comma: 44,
  newline: 10,
  space: 32,
  dash: 45,
  colon: 58,
  zero: 48,
  dot: 46,
} as const;
