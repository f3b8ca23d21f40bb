import { blankToNull, dimension, measure, type DatasetRecipe } from './recipe.js';

/**
 * NYC 311 "Street Flooding (SJ)" complaints (NYC Open Data erm2-nwe9). The
 * privacy unit is the household: the normalized incident address with its
 * ZIP; where the address is empty, the tax lot (BBL); then the point rounded
 * to 4 decimals (about 10 m); and last the service request itself.
 */

const boroughs = ['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'];

const createdAt = 'TRY_CAST(trim(created_date) AS TIMESTAMP)';
const closedAt = 'TRY_CAST(trim(closed_date) AS TIMESTAMP)';
const latitudeOf = 'TRY_CAST(trim(latitude) AS DOUBLE)';
const longitudeOf = 'TRY_CAST(trim(longitude) AS DOUBLE)';

/** A usable point: finite, on the globe, and not the (0, 0) placeholder. */
const hasPoint = `isfinite(s.veil_raw_latitude) AND isfinite(s.veil_raw_longitude)
  AND abs(s.veil_raw_latitude) <= 90 AND abs(s.veil_raw_longitude) <= 180
  AND NOT (s.veil_raw_latitude = 0 AND s.veil_raw_longitude = 0)`;

const unitKey = `CASE
    WHEN s.veil_address IS NOT NULL
      THEN 'addr:' || s.veil_address || '|' || coalesce(s.veil_zip, '')
    WHEN s.veil_bbl IS NOT NULL THEN 'bbl:' || s.veil_bbl
    WHEN ${hasPoint}
      THEN 'xy:' || printf('%.4f,%.4f', s.veil_raw_latitude, s.veil_raw_longitude)
    ELSE 'sr:' || s.veil_raw_unique_key
  END`;

const reasonSql = `CASE
    WHEN s.veil_raw_unique_key IS NULL THEN 'missing_unique_key'
    WHEN veil_duplicate THEN 'duplicate_unique_key'
    WHEN s.veil_raw_created_date IS NULL THEN 'bad_created_date'
  END`;

const created = 's.veil_raw_created_date';
const closed = 's.veil_raw_closed_date';

/** The recipe for `nyc311_street_flooding`. */
export const nyc311Recipe: DatasetRecipe = {
  dataset: 'nyc311_street_flooding',
  bundledFile: 'nyc311_street_flooding_sj_2022-11_to_2023-02.csv',
  requiredColumns: [
    'unique_key',
    'created_date',
    'closed_date',
    'incident_zip',
    'incident_address',
    'bbl',
    'borough',
    'community_board',
    'status',
    'open_data_channel_type',
    'latitude',
    'longitude',
  ],
  reasons: ['missing_unique_key', 'duplicate_unique_key', 'bad_created_date'],
  rawTyped: {
    unique_key: blankToNull('unique_key'),
    created_date: createdAt,
    closed_date: closedAt,
    resolution_action_updated_date: 'TRY_CAST(trim(resolution_action_updated_date) AS TIMESTAMP)',
    latitude: latitudeOf,
    longitude: longitudeOf,
    x_coordinate_state_plane: 'TRY_CAST(trim(x_coordinate_state_plane) AS DOUBLE)',
    y_coordinate_state_plane: 'TRY_CAST(trim(y_coordinate_state_plane) AS DOUBLE)',
  },
  staged: {
    veil_zip: `nullif(regexp_extract(trim(incident_zip), '^([0-9]{5})(-[0-9]{4})?$', 1), '')`,
    veil_address: `nullif(upper(trim(
      regexp_replace(coalesce(incident_address, ''), '\\s+', ' ', 'g'))), '')`,
    veil_bbl: `nullif(
      nullif(regexp_extract(trim(bbl), '^([0-9]{10})(\\.0+)?$', 1), ''), '0000000000')`,
  },
  recordKey: 's.veil_raw_unique_key',
  unitKey,
  lookups: '',
  reasonSql,
  derived: [
    dimension(
      `CASE WHEN upper(trim(s.borough)) IN (${boroughs.map((b) => `'${b}'`).join(', ')})
        THEN upper(trim(s.borough)) END`,
      'borough',
    ),
    dimension(
      `CASE WHEN s.community_board ILIKE '%unspecified%' THEN NULL
        ELSE nullif(trim(s.community_board), '') END`,
      'community_board',
    ),
    dimension('s.veil_zip', 'zip'),
    dimension(`nullif(trim(s.status), '')`, 'status'),
    dimension(`nullif(upper(trim(s.open_data_channel_type)), '')`, 'channel'),
    dimension(`strftime(${created}, '%Y-%m-%d')`, 'created_day'),
    dimension(`strftime(${created}, '%G-W%V')`, 'created_week'),
    dimension(`strftime(${created}, '%Y-%m')`, 'created_month'),
    measure(
      `CASE WHEN ${closed} >= ${created}
        THEN date_diff('second', ${created}, ${closed}) / 3600.0 END`,
      'hours_to_close',
    ),
  ],
};
