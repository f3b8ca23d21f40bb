import { createHash } from 'node:crypto';
import { VeilError } from '../errors/registry.js';
import type { BureauDb, PolicyVersionTable } from '../ledger/bureau-schema.js';
import { bureauDb } from '../ledger/bureau-schema.js';
import type { Db } from '../ledger/schema.js';
import { atomically } from '../ledger/transaction.js';
import type { LoadedPolicy } from './load.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { missingColumns } from './columns.js';
import { PolicyFileError, validatePolicy } from './load.js';

/** One stored version as the history route shows it (without the body). */
export interface PolicyVersionInfo {
  id: string;
  version: number;
  hash: string;
  author: string;
  source: 'file' | 'api';
  createdAt: string;
}

/** The result of a change: the version now active and whether it is new. */
export interface PutResult {
  policy: LoadedPolicy;
  changed: boolean;
}

/** The fields of a LoadedPolicy that the bureau wrote (no derived fields). */
function bodyOf(policy: LoadedPolicy): string {
  const { version: _v, publicKeyLists: _k, ...written } = policy;
  return canonicalJson(written);
}

function hashOf(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

function toInfo(row: PolicyVersionTable): PolicyVersionInfo {
  return {
    id: row.id,
    version: row.version,
    hash: row.hash,
    author: row.author,
    source: row.source,
    createdAt: row.created_at,
  };
}

/**
 * The active policy of every dataset, backed by versions stored in the ledger
 * database. It is a ReadonlyMap so the query path reads it as before; a query
 * takes its policy once, when it is checked, so a change applies to the next
 * query only. Every change is a new version: nothing is ever replaced.
 */
export class PolicyRegistry implements ReadonlyMap<string, LoadedPolicy> {
  private readonly active = new Map<string, LoadedPolicy>();

  private constructor(
    private readonly base: Db,
    private readonly now: () => string,
    private readonly schema: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  ) {}

  /**
   * Loads the stored versions and records each file policy whose content
   * differs from the last version read from a file as a new version, so an
   * edited file on disk is never applied silently.
   */
  static async open(
    db: Db,
    files: ReadonlyMap<string, LoadedPolicy>,
    now: () => string = () => new Date().toISOString(),
    schema?: ReadonlyMap<string, ReadonlySet<string>>,
  ): Promise<PolicyRegistry> {
    for (const policy of files.values()) {
      const problems = schema ? missingColumns(policy, schema) : [];
      if (problems.length) throw new PolicyFileError(policy.dataset, problems);
    }
    const registry = new PolicyRegistry(db, now, schema);
    for (const policy of files.values()) await registry.adoptFile(policy);
    return registry;
  }

  private get db(): BureauDb {
    return bureauDb(this.base);
  }

  private async adoptFile(policy: LoadedPolicy): Promise<void> {
    const body = bodyOf(policy);
    const lastFile = await this.db
      .selectFrom('policy_versions')
      .select('hash')
      .where('dataset', '=', policy.dataset)
      .where('source', '=', 'file')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (lastFile?.hash !== hashOf(body)) {
      await this.insert(policy.dataset, body, `file:${policy.dataset}`, 'file');
    }
    this.active.set(policy.dataset, await this.load(policy.dataset));
  }

  private async insert(
    dataset: string,
    body: string,
    author: string,
    source: 'file' | 'api',
  ): Promise<void> {
    await atomically(this.base, async (base) => {
      const trx = bureauDb(base);
      const last = await trx
        .selectFrom('policy_versions')
        .select((eb) => eb.fn.max<number | null>('version').as('v'))
        .where('dataset', '=', dataset)
        .executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      const hash = hashOf(body);
      const id = `v${version}-${hash.slice(0, 8)}`;
      const row = { dataset, version, id, hash, body, author, source, created_at: this.now() };
      await trx.insertInto('policy_versions').values(row).execute();
    });
  }

  private async load(dataset: string, version?: number): Promise<LoadedPolicy> {
    let query = this.db.selectFrom('policy_versions').selectAll().where('dataset', '=', dataset);
    if (version !== undefined) query = query.where('version', '=', version);
    const row = await query.orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (row === undefined) {
      throw new VeilError(
        'VEIL_POLICY_UNKNOWN_VERSION',
        `dataset "${dataset}" has no policy version ${version ?? ''}; see its history`,
      );
    }
    return { ...validatePolicy(JSON.parse(row.body), row.id), version: row.id };
  }

  /** A stored version by number or id (`v3` or `v3-1a2b3c4d`). */
  async version(dataset: string, ref: string): Promise<LoadedPolicy> {
    this.require(dataset);
    const m = /^v?(\d{1,9})(?:-[0-9a-f]{8})?$/.exec(ref);
    if (!m) {
      throw new VeilError(
        'VEIL_POLICY_UNKNOWN_VERSION',
        `"${ref}" is not a version; give a number (3) or an id (v3-1a2b3c4d)`,
      );
    }
    const policy = await this.load(dataset, Number(m[1]));
    if (ref.includes('-') && ref !== policy.version) {
      throw new VeilError('VEIL_POLICY_UNKNOWN_VERSION', `no version of "${dataset}" is ${ref}`);
    }
    return policy;
  }

  /** Every version of a dataset's policy, oldest first. */
  async history(dataset: string): Promise<PolicyVersionInfo[]> {
    this.require(dataset);
    const rows = await this.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('dataset', '=', dataset)
      .orderBy('version')
      .execute();
    return rows.map(toInfo);
  }

  /**
   * Validates a proposed policy; a bad one is refused with each problem's
   * path and nothing changes. The dataset is fixed by the route.
   */
  propose(dataset: string, raw: unknown): LoadedPolicy {
    this.require(dataset);
    let policy: LoadedPolicy;
    try {
      policy = validatePolicy(raw, dataset);
    } catch (err) {
      if (!(err instanceof PolicyFileError)) throw err;
      throw new VeilError('VEIL_POLICY_INVALID', `the policy is invalid: ${err.problems[0]}`, {
        problems: err.problems,
      });
    }
    if (policy.dataset !== dataset) {
      throw new VeilError(
        'VEIL_POLICY_INVALID',
        `dataset: the body names "${policy.dataset}" but the route is for "${dataset}"`,
        { problems: [`dataset: must be "${dataset}"`] },
      );
    }
    const missing = this.schema ? missingColumns(policy, this.schema) : [];
    if (missing.length) {
      throw new VeilError('VEIL_POLICY_INVALID', `the policy is invalid: ${missing[0]}`, {
        problems: missing,
      });
    }
    return policy;
  }

  /** Stores a proposed policy as the next version (unless equal to the active one). */
  async put(dataset: string, raw: unknown, author: string): Promise<PutResult> {
    const proposed = this.propose(dataset, raw);
    const body = bodyOf(proposed);
    if (hashOf(body) === hashOf(bodyOf(this.require(dataset)))) {
      return { policy: this.require(dataset), changed: false };
    }
    await this.insert(dataset, body, author, 'api');
    const policy = await this.load(dataset);
    this.active.set(dataset, policy);
    return { policy, changed: true };
  }

  /** The active policy or a coded 404. */
  require(dataset: string): LoadedPolicy {
    const policy = this.active.get(dataset);
    if (policy === undefined) {
      throw new VeilError(
        'VEIL_QUERY_UNKNOWN_DATASET',
        `dataset "${dataset}" does not exist; GET /v1/datasets lists the ids`,
      );
    }
    return policy;
  }

  get(dataset: string): LoadedPolicy | undefined {
    return this.active.get(dataset);
  }

  has(dataset: string): boolean {
    return this.active.has(dataset);
  }

  get size(): number {
    return this.active.size;
  }

  keys(): MapIterator<string> {
    return this.active.keys();
  }

  values(): MapIterator<LoadedPolicy> {
    return this.active.values();
  }

  entries(): MapIterator<[string, LoadedPolicy]> {
    return this.active.entries();
  }

  forEach(fn: (value: LoadedPolicy, key: string, map: ReadonlyMap<string, LoadedPolicy>) => void) {
    this.active.forEach((v, k) => fn(v, k, this));
  }

  [Symbol.iterator](): MapIterator<[string, LoadedPolicy]> {
    return this.active.entries();
  }
}
