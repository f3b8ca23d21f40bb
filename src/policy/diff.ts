/** One changed leaf between two policy versions. */
export interface PolicyChange {
  /** Dotted path, e.g. `epsilon.max` or `dimensions.zip`. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Lists what changed between two policies, object by object down to the
 * leaves; arrays (level lists, key lists) are compared as whole values, so a
 * bureau reads one line per changed list. Paths are sorted for stable output.
 */
export function diffPolicies(from: unknown, to: unknown, path = ''): PolicyChange[] {
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => {
      const sub = path ? `${path}.${k}` : k;
      if (!(k in to)) return [{ path: sub, change: 'removed' as const, from: from[k] }];
      if (!(k in from)) return [{ path: sub, change: 'added' as const, to: to[k] }];
      return diffPolicies(from[k], to[k], sub);
    });
  }
  if (JSON.stringify(from) === JSON.stringify(to)) return [];
  return [{ path: path || '(root)', change: 'changed', from, to }];
}
