import { VeilError } from '../../errors/registry.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { list, sameName, type Locator, type Node } from './tree.js';

/**
 * What every translation step needs: where things are in the text, the
 * dataset's policy, and the names the query's table goes by.
 */
export class Scope {
  constructor(
    readonly loc: Locator,
    readonly policy: LoadedPolicy,
    /** Table name and alias as written; either may qualify a column. */
    readonly tableNames: readonly string[],
  ) {}

  /**
   * The column a COLUMN_REF names, spelled as the policy spells it (DuckDB
   * matches names case-insensitively). A name the policy does not know is
   * refused here, so no later stage ever looks a buyer's name up in a
   * policy object (where `constructor` or `valueOf` would be found).
   */
  column(ref: Node): string {
    const name = this.writtenName(ref);
    const known = this.known(name);
    if (known === undefined || name.includes(':')) {
      const dims = Object.keys(this.policy.dimensions).join(', ');
      const measures = Object.keys(this.policy.measures).join(', ');
      throw this.loc.refuse(
        'VEIL_QUERY_UNKNOWN_COLUMN',
        `"${name}" is not a column of ${this.policy.dataset}; ` +
          `use a dimension (${dims}) or a measure (${measures})`,
        ref,
      );
    }
    return known;
  }

  /** The one name a COLUMN_REF holds after its optional table qualifier. */
  writtenName(ref: Node): string {
    const written = this.columnParts(ref);
    if (written.length !== 1) {
      throw this.loc.refuse(
        'VEIL_SQL_UNSUPPORTED',
        `"${written.join('.')}" is not a column name; ` +
          'write the column alone, or prefixed by the table name',
        ref,
      );
    }
    return written[0]!;
  }

  /** The name parts of a COLUMN_REF without a leading table name or alias. */
  columnParts(ref: Node): string[] {
    const parts = list(ref, 'column_names').map((p) => (typeof p === 'string' ? p : ''));
    const qualified = parts.length > 1 && this.tableNames.some((t) => sameName(t, parts[0]!));
    return qualified ? parts.slice(1) : parts;
  }

  /** A name spelled as the policy spells it, or undefined when the policy has no such column. */
  known(name: string): string | undefined {
    const names = [
      ...Object.keys(this.policy.dimensions),
      ...Object.keys(this.policy.measures),
      ...Object.keys(this.policy.columns),
    ];
    return names.find((k) => sameName(k, name));
  }

  /** True when a name is one of the policy's identifier columns. */
  isIdentifier(name: string): boolean {
    const known = this.known(name);
    return known !== undefined && Object.hasOwn(this.policy.columns, known)
      ? this.policy.columns[known] === 'identifier'
      : false;
  }

  /** True when a name is one of the policy's measures. */
  isMeasure(name: string): boolean {
    return Object.hasOwn(this.policy.measures, name);
  }

  /** A refusal naming an identifier column used anywhere in the query. */
  identifierError(name: string, at: Node): VeilError {
    const dims = Object.keys(this.policy.dimensions).slice(0, 3).join(', ');
    return this.loc.refuse(
      'VEIL_QUERY_IDENTIFIER',
      `"${this.known(name) ?? name}" is an identifier and never leaves the enclave, ` +
        `not even through a filter or an aggregate; use a dimension such as ${dims}`,
      at,
    );
  }

  /** The names COUNT(DISTINCT ...) accepts for the privacy unit. */
  unitNames(): string[] {
    return ['unit', 'unit_id', this.policy.privacyUnit.name.toLowerCase()];
  }
}
