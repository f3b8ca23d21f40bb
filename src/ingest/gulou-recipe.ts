import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { gazetteerPlaces } from './gazetteer.js';
import { gulouColumns } from './gulou-rows.js';
import { blankToNull, dimension, measure, strictTimestamp, type DatasetRecipe } from './recipe.js';

/**
 * The Gulou 12345-hotline flooding complaints (synthetic, see
 * datasets/SOURCES.md). The privacy unit is the caller, keyed by the
 * normalized mobile number: spaces and dashes removed, a +86 / 86 prefix
 * dropped, and then it must be 11 digits starting 13-19. The address is
 * resolved to a community through the gazetteer by its leading name (the
 * text before the first digit, spaces and ideographic spaces removed).
 */

/** Loads the gazetteer into a temporary lookup table `veil_gazetteer`. */
async function loadGazetteer(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE veil_gazetteer
       (name VARCHAR PRIMARY KEY, kind VARCHAR, community VARCHAR, street_office VARCHAR)`,
  );
  const places = gazetteerPlaces();
  await conn.run(
    `INSERT INTO veil_gazetteer
     SELECT unnest($names), unnest($kinds), unnest($communities), unnest($offices)`,
    {
      names: listValue(places.map((p) => p.name)),
      kinds: listValue(places.map((p) => p.kind)),
      communities: listValue(places.map((p) => p.community)),
      offices: listValue(places.map((p) => p.streetOffice)),
    },
  );
}

/** Mobile numbers: an optional +86 / 86 prefix, then 11 digits starting 13-19. */
const mobile = `'^(?:\\+?86)?(1[3-9][0-9]{9})$'`;

/**
 * The 11-digit mobile number, or '' when the field holds none. Spaces and
 * dashes are removed first, but only from the few fields that have any: the
 * copy replace() makes is what the test would otherwise cost.
 */
const normalizedPhone = `coalesce(CASE
    WHEN contains(phone, ' ') OR contains(phone, '-')
      THEN regexp_extract(replace(replace(phone, ' ', ''), '-', ''), ${mobile}, 1)
    ELSE regexp_extract(phone, ${mobile}, 1)
  END, '')`;

/** The address's leading name: the text before its first digit, without (ideographic) spaces. */
const placeName = `CASE
    WHEN contains(address, ' ') OR contains(address, '\u3000')
      THEN regexp_extract(replace(replace(address, ' ', ''), '\u3000', ''), '^([^0-9]+)', 1)
    ELSE regexp_extract(address, '^([^0-9]+)', 1)
  END`;

/** The depth as a finite number, or NULL (unknown, NaN or infinite depths band as NULL too). */
const finiteDepth = 'CASE WHEN isfinite(s.veil_raw_depth_cm) THEN s.veil_raw_depth_cm END';

/** Reasons in the order they are tested; missing ids and copies first, as for every dataset. */
const reasonSql = `CASE
    WHEN s.veil_raw_record_id IS NULL THEN 'missing_record_id'
    WHEN veil_duplicate THEN 'duplicate'
    WHEN s.veil_raw_call_time IS NULL OR s.veil_raw_flood_start IS NULL
      OR (s.veil_has_end AND s.veil_raw_flood_end IS NULL) THEN 'bad_time'
    WHEN s.veil_raw_phone = '' THEN 'bad_phone'
    WHEN s.veil_has_depth AND (s.veil_raw_depth_cm IS NULL OR s.veil_raw_depth_cm < 0)
      THEN 'bad_depth'
    WHEN s.veil_raw_flood_end < s.veil_raw_flood_start THEN 'end_before_start'
    WHEN g.name IS NULL THEN 'unknown_address'
  END`;

/** The call day once as text; month and year are its prefixes. */
const calledDay = `strftime(s.veil_raw_call_time, '%Y-%m-%d')`;

/** The recipe for `gulou_flooding`. */
export const gulouRecipe: DatasetRecipe = {
  dataset: 'gulou_flooding',
  bundledFile: 'gulou_flooding.csv',
  requiredColumns: [...gulouColumns],
  reasons: [
    'missing_record_id',
    'duplicate',
    'bad_time',
    'bad_phone',
    'bad_depth',
    'end_before_start',
    'unknown_address',
  ],
  prepare: loadGazetteer,
  rawTyped: {
    record_id: blankToNull('record_id'),
    phone: normalizedPhone,
    call_time: strictTimestamp('call_time'),
    flood_start: strictTimestamp('flood_start'),
    flood_end: strictTimestamp('flood_end'),
    depth_cm: 'TRY_CAST(trim(depth_cm) AS DOUBLE)',
  },
  staged: {
    veil_has_end: `${blankToNull('flood_end')} IS NOT NULL`,
    veil_has_depth: `${blankToNull('depth_cm')} IS NOT NULL`,
    veil_place: placeName,
  },
  recordKey: 's.veil_raw_record_id',
  unitKey: `'phone:' || s.veil_raw_phone`,
  lookups: 'LEFT JOIN veil_gazetteer g ON g.name = s.veil_place',
  reasonSql,
  derived: [
    dimension('g.community', 'community'),
    dimension('g.street_office', 'street_office'),
    dimension('g.kind', 'location_type'),
    dimension(
      `CASE WHEN (${finiteDepth}) < 15 THEN 'mild'
        WHEN (${finiteDepth}) <= 40 THEN 'moderate'
        WHEN (${finiteDepth}) > 40 THEN 'severe' END`,
      'severity',
    ),
    dimension(calledDay, 'called_day'),
    dimension(`left(${calledDay}, 7)`, 'called_month'),
    dimension(`left(${calledDay}, 4)`, 'called_year'),
    measure('s.veil_raw_depth_cm', 'depth_cm'),
    measure(
      `date_diff('second', s.veil_raw_flood_start, s.veil_raw_flood_end) / 3600.0`,
      'flood_hours',
    ),
  ],
};
