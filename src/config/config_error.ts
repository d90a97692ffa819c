/** One problem found while loading the configuration. */
export interface ConfigIssue {
  /**
   * Where the value sits: the environment variable name for `env`, the key
   * path inside the file (`sections.containers`, `a.b[2]`) for `file`, or ""
   * when the problem is with the file as a whole.
   */
  key: string;
  /** What is wrong, quoting the offending value. */
  message: string;
  /** Whether the value came from the environment or from a file. */
  source: "env" | "file";
  /** The file as given by the user, for `file` issues. */
  file?: string;
  /** 1-based line of the offending key or value, when known. */
  line?: number;
  /** 1-based column of the offending key or value, when known. */
  column?: number;
}

/** Render one issue as `key (where): message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  let where: string = issue.source;
  if (issue.source === "file" && issue.file !== undefined) {
    where = issue.line === undefined
      ? issue.file
      : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  }
  if (issue.key === "") return `${where}: ${issue.message}`;
  return `${issue.key} (${where}): ${issue.message}`;
}

/**
 * The configuration could not be loaded. It carries every issue found, not
 * just the first, so that one run shows the user everything to fix.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  /** Every problem found, in the order found. */
  readonly issues: ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${formatConfigIssue(issue)}`);
    super(["Invalid configuration:", ...lines].join("\n"));
    this.issues = issues.map((issue) => Object.freeze({ ...issue }));
  }
}
