import type { ByteSink } from './byte-sink.js';
import { csvField, piece, pieces, type Piece } from './gulou-text.js';
import {
  communitySpots,
  consequences,
  depthPhrases,
  openers,
  roadSpots,
} from './gulou-vocabulary.js';
import { pick, type Uniform } from './prng.js';

/**
 * The caller's own words, e.g. '小区门口积水到膝盖，车都开不出去了': an
 * opener, a spot, how deep, and what it causes. Drawn into a reusable
 * `Note` and written once the rest of the line is known.
 */

/** One drawn note: its four words and which of the three sentence shapes joins them. */
export interface Note {
  opener: Piece;
  spot: Piece;
  phrase: Piece;
  consequence: Piece;
  shape: number;
}

const openerPieces = pieces(openers);
const spotPieces = { road: pieces(roadSpots), community: pieces(communitySpots) };
const phrasePieces = depthPhrases.map(pieces);
const consequencePieces = pieces(consequences);
const fullComma = piece('，');

/** An empty note, to be filled by `drawNote`. */
export function emptyNote(): Note {
  return {
    opener: fullComma,
    spot: fullComma,
    phrase: fullComma,
    consequence: fullComma,
    shape: 1,
  };
}

function depthBand(depth: number): number {
  if (depth < 10) return 0;
  if (depth < 20) return 1;
  if (depth < 40) return 2;
  if (depth < 60) return 3;
  return 4;
}

/** Draws a note for a flood of `depth` cm on a road or in a community. */
export function drawNote(note: Note, onRoad: boolean, depth: number, u: Uniform): void {
  const spots = onRoad ? spotPieces.road : spotPieces.community;
  const phrases = phrasePieces[depthBand(depth)]!;
  note.opener = openerPieces[pick(u, openerPieces.length)]!;
  note.spot = spots[pick(u, spots.length)]!;
  note.phrase = phrases[pick(u, phrases.length)]!;
  note.consequence = consequencePieces[pick(u, consequencePieces.length)]!;
  note.shape = u();
}

/** Writes a note as a CSV field: 5% use an ASCII comma, 2% quote a promise, both quoted. */
export function writeNote(sink: ByteSink, note: Note): void {
  const { opener, spot, phrase, consequence, shape } = note;
  if (shape < 0.07 || opener.quote || spot.quote || phrase.quote || consequence.quote) {
    sink.text(csvField(noteText(note)));
    return;
  }
  sink.bytes(opener.bytes);
  sink.bytes(spot.bytes);
  sink.bytes(phrase.bytes);
  sink.bytes(fullComma.bytes);
  sink.bytes(consequence.bytes);
}

function noteText({ opener, spot, phrase, consequence, shape }: Note): string {
  const said = `${opener.text}${spot.text}${phrase.text}`;
  if (shape < 0.05) return `${said}, ${consequence.text}`;
  if (shape < 0.07) return `${said}，上次说"马上来"结果没人来`;
  return `${said}，${consequence.text}`;
}
