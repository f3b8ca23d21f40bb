import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { gazetteerPlaces } from './gazetteer.js';
import { gulouColumns } from './gulou-rows.js';
import {
  dimension,
  measure,
  repeatedKeysSql,
  strictTimestamp,
  type DatasetRecipe,
} from './recipe.js';

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

/** The 11-digit mobile number, or '' when the field holds none (plain replace() is cheap). */
const normalizedPhone = `regexp_extract(replace(replace(coalesce(phone, ''), ' ', ''), '-', ''),
  '^(?:\\+?86)?(1[3-9][0-9]{9})$', 1)`;

/** The depth as a finite number, or NULL (unknown, NaN or infinite depths band as NULL too). */
const finiteDepth = 'CASE WHEN isfinite(veil_depth) THEN veil_depth END';

const checkedSql = `
  WITH typed AS (
    SELECT rowid AS veil_src_row,
      veil_raw_record_id AS veil_record_key,
      veil_raw_phone AS veil_phone,
      veil_raw_call_time AS veil_call_time,
      veil_raw_flood_start AS veil_flood_start,
      veil_raw_flood_end AS veil_flood_end,
      nullif(trim(flood_end), '') IS NOT NULL AS veil_has_end,
      nullif(trim(depth_cm), '') IS NOT NULL AS veil_has_depth,
      veil_raw_depth_cm AS veil_depth,
      regexp_extract(replace(replace(coalesce(address, ''), ' ', ''), '\u3000', ''),
        '^([^0-9]+)', 1) AS veil_place
    FROM veil_stage
  ),
  flagged AS (
    SELECT typed.*, repeated.veil_first_row,
      g.name AS veil_known_place, g.kind, g.community, g.street_office
    FROM typed
    LEFT JOIN (${repeatedKeysSql('typed')}) repeated USING (veil_record_key)
    LEFT JOIN veil_gazetteer g ON g.name = typed.veil_place
  )
  SELECT veil_src_row, veil_record_key,
    CASE
      WHEN veil_record_key IS NULL THEN 'missing_record_id'
      WHEN veil_src_row <> veil_first_row THEN 'duplicate'
      WHEN veil_call_time IS NULL OR veil_flood_start IS NULL
        OR (veil_has_end AND veil_flood_end IS NULL) THEN 'bad_time'
      WHEN veil_phone = '' THEN 'bad_phone'
      WHEN veil_has_depth AND (veil_depth IS NULL OR veil_depth < 0) THEN 'bad_depth'
      WHEN veil_flood_end < veil_flood_start THEN 'end_before_start'
      WHEN veil_known_place IS NULL THEN 'unknown_address'
    END AS veil_reason,
    'phone:' || veil_phone AS veil_unit_key,
    ${dimension('community', 'community')},
    ${dimension('street_office', 'street_office')},
    ${dimension('kind', 'location_type')},
    ${dimension(
      `CASE WHEN (${finiteDepth}) < 15 THEN 'mild'
        WHEN (${finiteDepth}) <= 40 THEN 'moderate'
        WHEN (${finiteDepth}) > 40 THEN 'severe' END`,
      'severity',
    )},
    ${dimension(`strftime(veil_call_time, '%Y-%m-%d')`, 'called_day')},
    ${dimension(`strftime(veil_call_time, '%Y-%m')`, 'called_month')},
    ${dimension(`strftime(veil_call_time, '%Y')`, 'called_year')},
    ${measure('veil_depth', 'depth_cm')},
    ${measure(`date_diff('second', veil_flood_start, veil_flood_end) / 3600.0`, 'flood_hours')}
  FROM flagged`;

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
  checkedSql,
  rawTyped: {
    record_id: `nullif(trim(record_id), '')`,
    phone: normalizedPhone,
    call_time: strictTimestamp('call_time'),
    flood_start: strictTimestamp('flood_start'),
    flood_end: strictTimestamp('flood_end'),
    depth_cm: 'TRY_CAST(trim(depth_cm) AS DOUBLE)',
  },
  derivedColumns: [
    'community',
    'street_office',
    'location_type',
    'severity',
    'called_day',
    'called_month',
    'called_year',
    'depth_cm',
    'flood_hours',
  ],
};
