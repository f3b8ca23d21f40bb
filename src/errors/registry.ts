/**
 * The one registry of refusal codes. Clients match on `code`, so a code is
 * never renamed or reused; the README and docs/errors.md list the same set
 * (a test keeps them in step).
 */
export const errorRegistry = {
  VEIL_AUTH_MISSING: { status: 401, title: 'No bearer token was sent.' },
  VEIL_AUTH_INVALID: {
    status: 401,
    title: 'The token is unsigned, wrongly signed, malformed or expired.',
  },
  VEIL_AUTH_CLAIMS: { status: 401, title: 'The token lacks a valid `sub` or `role` claim.' },
  VEIL_AUTH_FORBIDDEN: { status: 403, title: "The token's role may not use this route." },
  VEIL_BODY_INVALID_JSON: { status: 400, title: 'The request body is not valid JSON.' },
  VEIL_BODY_TOO_LARGE: { status: 413, title: 'The request body is larger than the limit.' },
  VEIL_BODY_UNSUPPORTED_TYPE: { status: 415, title: 'The body must be sent as application/json.' },
  VEIL_QUERY_INVALID: { status: 400, title: 'The query body does not match the query schema.' },
  VEIL_QUERY_UNKNOWN_DATASET: { status: 404, title: 'No dataset has that id.' },
  VEIL_QUERY_UNKNOWN_COLUMN: {
    status: 400,
    title: 'The column is not a dimension or measure of the dataset.',
  },
  VEIL_QUERY_IDENTIFIER: { status: 400, title: 'Identifier columns never leave the enclave.' },
  VEIL_QUERY_LEVEL_NOT_ALLOWED: {
    status: 400,
    title: 'The generalization level is not allowed by the policy.',
  },
  VEIL_QUERY_BAD_AGGREGATE: { status: 400, title: 'The aggregate is not allowed on that column.' },
  VEIL_QUERY_BAD_FILTER: {
    status: 400,
    title: 'The filter is not allowed or its value has the wrong form.',
  },
  VEIL_QUERY_DUPLICATE_NAME: { status: 400, title: 'Two output columns have the same name.' },
  VEIL_QUERY_TOO_MANY_GROUPS: {
    status: 400,
    title: 'The query would produce more groups than allowed.',
  },
  VEIL_QUERY_EPSILON: { status: 400, title: 'The requested epsilon is outside the policy range.' },
  VEIL_QUERY_ACCURACY_UNREACHABLE: {
    status: 400,
    title: 'The target accuracy needs more epsilon than the policy allows per query.',
  },
  VEIL_QUERY_OTHER_ROW: {
    status: 400,
    title: 'The row of suppressed groups needs a grouped query with a release threshold.',
  },
  VEIL_SQL_PARSE: { status: 400, title: 'The SQL text does not parse.' },
  VEIL_SQL_UNSUPPORTED: {
    status: 400,
    title: 'The SQL uses a construct outside the supported subset.',
  },
  VEIL_SQL_MULTIPLE_STATEMENTS: { status: 400, title: 'Only one SELECT statement is accepted.' },
  VEIL_SQL_NOT_SELECT: { status: 400, title: 'Only SELECT statements are accepted.' },
  VEIL_SQL_FORBIDDEN_FUNCTION: { status: 400, title: 'The function is not allowed in a query.' },
  VEIL_SQL_UNKNOWN_TABLE: { status: 400, title: 'The table is not a dataset.' },
  VEIL_SQL_SELECT_STAR: {
    status: 400,
    title: 'SELECT * would release rows; name dimensions and aggregates.',
  },
  VEIL_SQL_UNGROUPED_COLUMN: {
    status: 400,
    title: 'A selected column is neither grouped nor aggregated.',
  },
  VEIL_SQL_AGGREGATE_EXPRESSION: { status: 400, title: 'Aggregates take a bare measure column.' },
  VEIL_SQL_HAVING: { status: 400, title: 'HAVING is not supported.' },
  VEIL_SQL_GROUP_BY_MISMATCH: {
    status: 400,
    title: 'GROUP BY must list exactly the selected dimensions.',
  },
  VEIL_BUDGET_EXHAUSTED: { status: 429, title: 'The query would exceed a privacy budget.' },
  VEIL_POLICY_INVALID: {
    status: 400,
    title: 'The proposed policy is invalid; `problems` names each bad key.',
  },
  VEIL_POLICY_UNKNOWN_VERSION: { status: 404, title: 'The dataset has no such policy version.' },
  VEIL_BUDGET_GRANT_INVALID: {
    status: 400,
    title: 'The budget grant, top-up or revoke body is invalid.',
  },
  VEIL_NOT_FOUND: { status: 404, title: 'No such route.' },
  VEIL_ENCLAVE_FAILED: { status: 500, title: 'The enclave could not answer; nothing was charged.' },
  VEIL_SQL_TOO_LONG: { status: 400, title: 'The SQL text is longer than the limit.' },
  VEIL_RATE_LIMITED: {
    status: 429,
    title: 'Too many requests from this caller; retry after `Retry-After` seconds.',
  },
  VEIL_ENCLAVE_TIMEOUT: {
    status: 503,
    title: 'The query ran past the enclave time limit and was cancelled; nothing was charged.',
  },
  VEIL_INTERNAL: { status: 500, title: 'Internal error; nothing was charged.' },
  VEIL_LEDGER_SYNC: {
    status: 500,
    title:
      'The ledger could not be flushed to disk; the answer was withheld, its charge may stand.',
  },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorRegistry;

/** Extra, value-free fields a refusal may carry (a path into the body, an SQL offset). */
export interface ErrorDetail {
  path?: (string | number)[];
  position?: number;
  [key: string]: unknown;
}

/**
 * A refusal with a stable code. `message` tells the caller what to change;
 * it may quote the caller's own input but never an enclave value.
 */
export class VeilError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: ErrorDetail;
  /**
   * The dataset a refused request was about, when the front end knew it, for
   * the audit entry only: an SQL body names its dataset in its FROM clause,
   * not in a field the audit could read. Never part of the response body.
   */
  dataset?: string;

  constructor(code: ErrorCode, message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = 'VeilError';
    this.code = code;
    this.status = errorRegistry[code].status;
    this.detail = detail;
  }

  /** The JSON body sent to the client. */
  toBody(): { error: { code: ErrorCode; message: string } & ErrorDetail } {
    return { error: { code: this.code, message: this.message, ...this.detail } };
  }
}

export function isVeilError(err: unknown): err is VeilError {
  return err instanceof VeilError;
}
