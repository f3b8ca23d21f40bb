import { dimension, measure, repeatedKeysSql, type DatasetRecipe } from './recipe.js';

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

const checkedSql = `
  WITH typed AS (
    SELECT rowid AS veil_src_row, *,
      veil_raw_unique_key AS veil_record_key,
      veil_raw_created_date AS veil_created,
      veil_raw_closed_date AS veil_closed,
      nullif(regexp_extract(trim(incident_zip), '^([0-9]{5})(-[0-9]{4})?$', 1), '') AS veil_zip,
      nullif(upper(trim(regexp_replace(coalesce(incident_address, ''), '\\s+', ' ', 'g'))), '')
        AS veil_address,
      nullif(nullif(regexp_extract(trim(bbl), '^([0-9]{10})(\\.0+)?$', 1), ''), '0000000000')
        AS veil_bbl,
      veil_raw_latitude AS veil_lat,
      veil_raw_longitude AS veil_lon
    FROM veil_stage
  ),
  flagged AS (
    SELECT typed.*, repeated.veil_first_row,
      isfinite(veil_lat) AND isfinite(veil_lon) AND abs(veil_lat) <= 90 AND abs(veil_lon) <= 180
        AND NOT (veil_lat = 0 AND veil_lon = 0) AS veil_has_point
    FROM typed LEFT JOIN (${repeatedKeysSql('typed')}) repeated USING (veil_record_key)
  )
  SELECT veil_src_row, veil_record_key,
    CASE
      WHEN veil_record_key IS NULL THEN 'missing_unique_key'
      WHEN veil_src_row <> veil_first_row THEN 'duplicate_unique_key'
      WHEN veil_created IS NULL THEN 'bad_created_date'
    END AS veil_reason,
    CASE
      WHEN veil_address IS NOT NULL THEN 'addr:' || veil_address || '|' || coalesce(veil_zip, '')
      WHEN veil_bbl IS NOT NULL THEN 'bbl:' || veil_bbl
      WHEN veil_has_point THEN 'xy:' || printf('%.4f,%.4f', veil_lat, veil_lon)
      ELSE 'sr:' || veil_record_key
    END AS veil_unit_key,
    ${dimension(
      `CASE WHEN upper(trim(borough)) IN (${boroughs.map((b) => `'${b}'`).join(', ')})
        THEN upper(trim(borough)) END`,
      'borough',
    )},
    ${dimension(
      `CASE WHEN community_board ILIKE '%unspecified%' THEN NULL
        ELSE nullif(trim(community_board), '') END`,
      'community_board',
    )},
    ${dimension('veil_zip', 'zip')},
    ${dimension(`nullif(trim(status), '')`, 'status')},
    ${dimension(`nullif(upper(trim(open_data_channel_type)), '')`, 'channel')},
    ${dimension(`strftime(veil_created, '%Y-%m-%d')`, 'created_day')},
    ${dimension(`strftime(veil_created, '%G-W%V')`, 'created_week')},
    ${dimension(`strftime(veil_created, '%Y-%m')`, 'created_month')},
    ${measure(
      `CASE WHEN veil_closed >= veil_created
        THEN date_diff('second', veil_created, veil_closed) / 3600.0 END`,
      'hours_to_close',
    )}
  FROM flagged`;

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
  checkedSql,
  rawTyped: {
    unique_key: `nullif(trim(unique_key), '')`,
    created_date: createdAt,
    closed_date: closedAt,
    resolution_action_updated_date: 'TRY_CAST(trim(resolution_action_updated_date) AS TIMESTAMP)',
    latitude: latitudeOf,
    longitude: longitudeOf,
    x_coordinate_state_plane: 'TRY_CAST(trim(x_coordinate_state_plane) AS DOUBLE)',
    y_coordinate_state_plane: 'TRY_CAST(trim(y_coordinate_state_plane) AS DOUBLE)',
  },
  derivedColumns: [
    'borough',
    'community_board',
    'zip',
    'status',
    'channel',
    'created_day',
    'created_week',
    'created_month',
    'hours_to_close',
  ],
};
