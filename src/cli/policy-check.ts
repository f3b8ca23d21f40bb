import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PolicyFileError, validatePolicy } from '../policy/load.js';

/** One file's verdict from `veil policy check`. */
export interface PolicyVerdict {
  file: string;
  ok: boolean;
  dataset?: string;
  version?: string;
  problems: string[];
}

/** The YAML files named, folders expanded to the `*.yaml`/`*.yml` files they hold. */
function policyFiles(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p, { throwIfNoEntry: false })?.isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
}

/** Validates each file as the gateway would at start, collecting every problem. */
export function checkPolicyFiles(paths: string[]): PolicyVerdict[] {
  const seen = new Map<string, string>();
  return policyFiles(paths).map((file) => {
    try {
      const policy = validatePolicy(parseYaml(readFileSync(file, 'utf8')), file);
      const twin = seen.get(policy.dataset);
      seen.set(policy.dataset, file);
      const problems = twin ? [`dataset: "${policy.dataset}" is also defined in ${twin}`] : [];
      return { file, ok: !twin, dataset: policy.dataset, version: policy.version, problems };
    } catch (err) {
      if (err instanceof PolicyFileError) return { file, ok: false, problems: err.problems };
      const code = (err as { code?: string }).code;
      const why =
        code === 'ENOENT' ? 'no such file' : `not readable YAML: ${(err as Error).message}`;
      return { file, ok: false, problems: [why] };
    }
  });
}

/**
 * `veil policy check`: prints a verdict per file; the exit code is 1 when
 * any file is invalid, so a bureau can run it in CI before deploying.
 */
export function policyCheckCommand(paths: string[]): number {
  const verdicts = checkPolicyFiles(paths);
  if (verdicts.length === 0) {
    process.stderr.write('veil: no policy files found\n');
    return 1;
  }
  for (const v of verdicts) {
    if (v.ok)
      process.stdout.write(`ok      ${v.file} (dataset ${v.dataset}, version ${v.version})\n`);
    else {
      process.stdout.write(`invalid ${v.file}\n`);
      for (const p of v.problems) process.stdout.write(`  - ${p}\n`);
    }
  }
  return verdicts.every((v) => v.ok) ? 0 : 1;
}
