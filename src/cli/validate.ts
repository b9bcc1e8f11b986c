/** `charter validate`: schema validation plus the semantic checks of semantics §3–§4 (cli.md). */
import { allFindings } from '../engine/status.ts';
import type { Output } from './output.ts';
import { openWorkspace, problemLines, type WorkspaceOptions } from './workspace.ts';

export interface ValidateOptions extends WorkspaceOptions {
  strict?: boolean;
}

/** Exit 1 when an object is schema-invalid or a Collaboration is not accepted; warnings too with --strict. */
export function runValidate(paths: string[], options: ValidateOptions, out: Output): number {
  const workspace = openWorkspace(paths, options, out.progress?.bind(out));
  const schemaProblems = problemLines(workspace);
  for (const line of schemaProblems) out.out(line.replace(/^(.*?: .*?): /, '$1: SchemaInvalid: '));
  const findings = allFindings(workspace.engine);
  for (const f of findings) {
    const file = workspace.sources.get(f.object) ?? '(unknown file)';
    out.out(`${file}: ${f.object}: ${f.reason}: ${f.message}`);
  }
  const errors = schemaProblems.length + findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const objects = workspace.sources.size;
  out.err(`${objects} objects checked: ${errors} errors, ${warnings} warnings`);
  return errors > 0 || (options.strict && warnings > 0) ? 1 : 0;
}
