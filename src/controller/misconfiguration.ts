/**
 * Misconfigurations: failures that retrying alone does not fix — the identity is not authenticated (401) or not
 * allowed (403), the API server does not serve a resource (404: its CustomResourceDefinition is not installed), the
 * Lease's namespace does not exist. They are told apart from passing trouble (connection refused or reset, timeouts,
 * 5xx, 429), which is retried with a warning per attempt as before.
 *
 * A component that meets one reports it through a ProblemReporter: logged once as an error (again only when the
 * reason changes), then retried quietly (debug), and logged once more when it has gone. The operator fails /readyz
 * with the reasons meanwhile and recovers by itself once somebody fixes the cluster (docs/operator.md, "Start-up
 * misconfigurations").
 *
 *   const problems = new ProblemReporter(logger, { resource: 'User' }, (reason) => operator.setProblem('User', reason));
 *   problems.report(misconfiguration(error.status, `list users: ${error.message}`));   // or report(undefined) on success
 */
import type { Logger } from './logger.ts';

const HINTS: Record<number, string> = {
  401: "the API server does not accept the operator's credentials",
  403: "the operator's identity is not allowed to: see its RBAC (docs/deploy.md, Permissions)",
  404: 'it does not exist',
};

/**
 * The reason an API failure is a misconfiguration, in words; undefined for passing trouble.
 * @param status the HTTP status (or a Status object's code)
 * @param detail what failed and what the server said, e.g. "list /apis/charter.dev/v1alpha1/users: 404 Not Found: …"
 * @param hints what to do about a status, instead of the general hint
 *
 * @example misconfiguration(404, 'create Lease charter-system/charter-leader: …', { 404: 'create the namespace' })
 */
export function misconfiguration(status: number, detail: string, hints: Partial<Record<401 | 403 | 404, string>> = {}): string | undefined {
  if (status !== 401 && status !== 403 && status !== 404) return undefined;
  // One line: a server's plain-text answer ("404 page not found\n") ends in a newline.
  return `${detail.replace(/\s+/g, ' ').trim()} — ${hints[status] ?? HINTS[status]}`;
}

export class ProblemReporter {
  private current: string | undefined;
  private readonly logger: Logger;
  private readonly fields: Record<string, string>;
  private readonly onChange: ((reason: string | undefined) => void) | undefined;

  constructor(logger: Logger, fields: Record<string, string>, onChange?: (reason: string | undefined) => void) {
    this.logger = logger;
    this.fields = fields;
    this.onChange = onChange;
  }

  /** The misconfiguration in effect, if any. */
  get reason(): string | undefined {
    return this.current;
  }

  /** A misconfiguration met (a reason), or none any more (undefined: the last attempt worked). */
  report(reason: string | undefined): void {
    if (reason === this.current) {
      if (reason) this.logger.debug(`still: ${reason}`, this.fields);
      return;
    }
    const previous = this.current;
    this.current = reason;
    if (reason) this.logger.error(`${reason} — retrying quietly until it is fixed; /readyz fails meanwhile`, this.fields);
    else this.logger.info(`resolved: ${previous}`, this.fields);
    this.onChange?.(reason);
  }
}
