/**
 * Deterministic JSON: object keys sorted at every level, no whitespace. An
 * auditor can reproduce it in any language, so the chain can be checked
 * without this code. Non-finite numbers have no JSON form and are rejected.
 * Every audit entry and every question's key passes through it, so it
 * builds one string in place rather than arrays of parts.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError('canonical JSON has no non-finite numbers');
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? arrayJson(value) : objectJson(value as Record<string, unknown>);
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

function arrayJson(items: unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i ? ',' : '') + canonicalJson(items[i]);
  return `${out}]`;
}

function objectJson(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
