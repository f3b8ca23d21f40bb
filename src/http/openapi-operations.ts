import type { z } from 'zod';
import {
  answerBody,
  auditEntriesBody,
  auditVerifyBody,
  budgetBody,
  datasetsBody,
  healthBody,
  queryBody,
  queryExamples,
} from './api-schemas.js';
import {
  auditKeyBody,
  budgetChangeBody,
  budgetStateBody,
  checkpointsBody,
  dryRunBody,
  policyBody,
  policyDiffBody,
  policyHistoryBody,
  policyInput,
  policyPutBody,
  privacyLossBody,
  quoteBody,
  releasesBody,
} from './api-schemas-admin.js';
import { listQuery } from './routes/audit.js';
import { cellsQuery, lossQuery, mineQuery } from './routes/audit-ledger.js';
import { grantBody, revokeQuery, topUpBody } from './routes/budgets.js';
import { diffQuery, dryRunQuery } from './routes/policies.js';

/**
 * One route as the OpenAPI document describes it, in zod: the parameters and
 * body it takes are the very schemas the route parses with, and the answer
 * is the schema a test holds the real answer to.
 */
export interface OperationSpec {
  summary: string;
  description?: string;
  tags: string[];
  /** True for the one route that needs no token. */
  public?: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyExamples?: Record<string, { summary: string; value: unknown }>;
  /** The 200 answer; `ndjson` for the audit export's JSON Lines. */
  response: z.ZodType | 'ndjson';
  responseDescription: string;
  /** Refusals beyond 401, 403 and 429, which every authenticated route has. */
  refusals?: Record<string, string>;
}

const badParams = { '400': 'A query parameter is invalid (VEIL_QUERY_INVALID, with `path`)' };
const unknownDataset = { '404': 'No dataset has that id (VEIL_QUERY_UNKNOWN_DATASET)' };
const queryRefusals = {
  '400': 'The query is invalid or refused by the policy (VEIL_QUERY_*, VEIL_SQL_*)',
  '404': 'Unknown dataset (VEIL_QUERY_UNKNOWN_DATASET)',
  '413': 'The body is larger than VEIL_BODY_LIMIT (VEIL_BODY_TOO_LARGE)',
  '415': 'The body is not application/json (VEIL_BODY_UNSUPPORTED_TYPE)',
};
const bureauBody = { '400': 'The body is invalid (VEIL_BUDGET_GRANT_INVALID, with `path`)' };

/** Every route of the API, keyed by OpenAPI path, then method: the contract buyers code to. */
export const operations: Record<string, Record<string, OperationSpec>> = {
  '/health': {
    get: {
      summary: 'Liveness',
      tags: ['operations'],
      public: true,
      response: healthBody,
      responseDescription: 'The gateway is up',
    },
  },
  '/v1/datasets': {
    get: {
      summary: 'Catalogue: dimensions, levels, public keys, measures, k, epsilon, your budget',
      tags: ['buyers'],
      response: datasetsBody,
      responseDescription: 'Every dataset',
    },
  },
  '/v1/budget': {
    get: {
      summary: "The calling buyer's budget per dataset for the current period",
      tags: ['buyers'],
      response: budgetBody,
      responseDescription: 'Budgets',
    },
  },
  '/v1/query': {
    post: {
      summary: 'Answer an aggregate query, as JSON or as SQL, with differential privacy',
      description:
        'Checked against the dataset policy, charged to your budget, answered with calibrated ' +
        'noise; groups with too few people are withheld. See docs/sql.md for SQL.',
      tags: ['buyers'],
      body: queryBody,
      bodyExamples: queryExamples,
      response: answerBody,
      responseDescription: 'The noisy answer',
      refusals: {
        ...queryRefusals,
        '429':
          'The query would exceed a privacy budget (VEIL_BUDGET_EXHAUSTED), or too many ' +
          'requests (VEIL_RATE_LIMITED, Retry-After header)',
        '500':
          'Nothing could be answered (VEIL_ENCLAVE_FAILED, VEIL_INTERNAL: nothing charged), ' +
          'or the ledger could not be flushed (VEIL_LEDGER_SYNC: the answer was withheld)',
        '503': 'The query ran past VEIL_QUERY_TIMEOUT_MS and was cancelled (VEIL_ENCLAVE_TIMEOUT)',
      },
    },
  },
  '/v1/query/quote': {
    post: {
      summary: 'Price a query: epsilon and delta it would charge, accuracy, remaining budget',
      description: 'The same body and checks as POST /v1/query; nothing runs, nothing is charged.',
      tags: ['buyers'],
      body: queryBody,
      bodyExamples: queryExamples,
      response: quoteBody,
      responseDescription: 'The price',
      refusals: queryRefusals,
    },
  },
  '/v1/audit/mine': {
    get: {
      summary: "The calling buyer's own audit entries",
      tags: ['buyers'],
      query: mineQuery,
      response: auditEntriesBody,
      responseDescription: 'A page of entries',
      refusals: badParams,
    },
  },
  '/v1/audit/key': {
    get: {
      summary: 'The Ed25519 public key that signs the audit checkpoints',
      tags: ['auditors'],
      response: auditKeyBody,
      responseDescription: 'The key, as PEM',
    },
  },
  '/v1/audit/entries': {
    get: {
      summary: 'The audit log, filtered and paged',
      tags: ['auditors'],
      query: listQuery,
      response: auditEntriesBody,
      responseDescription: 'A page of entries',
      refusals: badParams,
    },
  },
  '/v1/audit/verify': {
    get: {
      summary: 'Recompute the hash chain, check the signed checkpoints, say where it breaks',
      tags: ['auditors'],
      response: auditVerifyBody,
      responseDescription: 'The verdict',
    },
  },
  '/v1/audit/checkpoints': {
    get: {
      summary: 'The signed chain heads',
      tags: ['auditors'],
      response: checkpointsBody,
      responseDescription: 'Every checkpoint',
    },
  },
  '/v1/audit/export': {
    get: {
      summary: 'The whole log as JSON Lines: a header with the key, entries, checkpoints',
      description: 'Check it offline with `veil audit verify <file> --key <pem>`.',
      tags: ['auditors'],
      response: 'ndjson',
      responseDescription: 'JSON Lines',
    },
  },
  '/v1/audit/privacy-loss': {
    get: {
      summary: 'Epsilon and delta per buyer, dataset and period: the log beside the ledger',
      tags: ['auditors'],
      query: lossQuery,
      response: privacyLossBody,
      responseDescription: 'The report; `alarm` is true when the two differ',
      refusals: badParams,
    },
  },
  '/v1/audit/releases': {
    get: {
      summary: 'The release register: every released cell, paged',
      tags: ['auditors'],
      query: cellsQuery,
      response: releasesBody,
      responseDescription: 'A page of cells',
      refusals: badParams,
    },
  },
  '/v1/policies/{dataset}': {
    get: {
      summary: "The dataset's active policy and its version",
      tags: ['bureaus'],
      response: policyBody,
      responseDescription: 'The active policy',
      refusals: unknownDataset,
    },
    put: {
      summary: 'Make a whole policy the next version (applies to the next query)',
      tags: ['bureaus'],
      body: policyInput,
      response: policyPutBody,
      responseDescription: 'The active version; `changed` is false when it was equal',
      refusals: {
        ...unknownDataset,
        '400': 'The policy is invalid (VEIL_POLICY_INVALID, `problems` names each bad key)',
      },
    },
  },
  '/v1/policies/{dataset}/history': {
    get: {
      summary: 'Every version of the policy',
      tags: ['bureaus'],
      response: policyHistoryBody,
      responseDescription: 'The versions, oldest first',
      refusals: unknownDataset,
    },
  },
  '/v1/policies/{dataset}/diff': {
    get: {
      summary: 'The keys that changed between two versions',
      tags: ['bureaus'],
      query: diffQuery,
      response: policyDiffBody,
      responseDescription: 'The changes',
      refusals: {
        ...badParams,
        '404':
          'No such dataset or version (VEIL_QUERY_UNKNOWN_DATASET, ' +
          'VEIL_POLICY_UNKNOWN_VERSION)',
      },
    },
  },
  '/v1/policies/{dataset}/dry-run': {
    post: {
      summary: 'Replay the newest logged queries under a proposed policy, without running them',
      tags: ['bureaus'],
      query: dryRunQuery,
      body: policyInput,
      response: dryRunBody,
      responseDescription: 'Counts of queries refused, accepted or priced differently',
      refusals: {
        ...unknownDataset,
        '400': 'The policy or a parameter is invalid (VEIL_POLICY_INVALID, VEIL_QUERY_INVALID)',
      },
    },
  },
  '/v1/budgets/{dataset}/{buyer}': {
    get: {
      summary: "A buyer's limit and spending in the current period",
      tags: ['bureaus'],
      response: budgetStateBody,
      responseDescription: 'Limit and spending',
      refusals: unknownDataset,
    },
    put: {
      summary: "Grant: the body becomes the buyer's limit for the period",
      tags: ['bureaus'],
      body: grantBody,
      response: budgetChangeBody,
      responseDescription: 'The change, audited in the same transaction',
      refusals: { ...unknownDataset, ...bureauBody },
    },
    delete: {
      summary: "Revoke: the buyer's limit for the period becomes 0",
      tags: ['bureaus'],
      query: revokeQuery,
      response: budgetChangeBody,
      responseDescription: 'The change, audited in the same transaction',
      refusals: { ...unknownDataset, ...badParams },
    },
  },
  '/v1/budgets/{dataset}/{buyer}/top-up': {
    post: {
      summary: "Top up: add the body to the buyer's limit for the period",
      tags: ['bureaus'],
      body: topUpBody,
      response: budgetChangeBody,
      responseDescription: 'The change, audited in the same transaction',
      refusals: { ...unknownDataset, ...bureauBody },
    },
  },
};
