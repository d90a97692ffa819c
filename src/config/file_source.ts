/**
 * Read a YAML or JSON config file and keep its syntax tree, so that a
 * problem found later can be reported at the line and column where the
 * user wrote the value. JSON goes through the YAML parser too (JSON is
 * YAML 1.2), which gives it positions and duplicate-key checks for free.
 */

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from "yaml";
import type { ConfigIssue } from "./config_error.ts";
import { quote } from "./value_parsers.ts";

/** A position in a file, 1-based. */
export interface FilePosition {
  readonly line: number;
  readonly column: number;
}

/** A config file, read and parsed. */
export interface FileLayer {
  /** The file name as given by the user. */
  readonly file: string;
  /** The top-level mapping, or undefined when the file is unusable. */
  readonly value: Record<string, unknown> | undefined;
  /** Read and syntax problems. */
  readonly issues: readonly ConfigIssue[];
  /**
   * Where the value at `path` was written, or its key when `atKey`. Falls
   * back to the deepest enclosing node that exists.
   */
  locate(path: readonly (string | number)[], atKey: boolean): FilePosition;
}

/** How to name the file in a read error: by its variable, or by itself. */
export interface FileRef {
  readonly file: string;
  readonly key: string;
  readonly source: "env" | "file";
}

/**
 * Paths whose numbers are octal digits. YAML 1.2 reads `0660` as the
 * decimal 660, so the source text is kept instead of the number.
 */
const OCTAL_PATHS: readonly (readonly string[])[] = [[
  "listen",
  "socket_perms",
]];

const MAX_ALIAS_COUNT = 100;

interface Located {
  readonly node: Node | null;
  readonly range: readonly number[] | null | undefined;
  /** How many path segments were found. */
  readonly depth: number;
}

function unusable(file: string, issues: ConfigIssue[]): FileLayer {
  return {
    file,
    value: undefined,
    issues,
    locate: () => ({ line: 1, column: 1 }),
  };
}

/** Read `ref.file`; never throws, problems come back as issues. */
export function readFileLayer(ref: FileRef): FileLayer {
  const { file } = ref;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return unusable(file, [{
      key: ref.key,
      source: ref.source,
      ...(ref.source === "file" ? { file } : {}),
      message: `cannot read config file ${quote(file)}: ${detail}`,
    }]);
  }
  return parseFileLayer(file, text);
}

/** Parse `text` as the contents of `file`. */
export function parseFileLayer(file: string, text: string): FileLayer {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });

  function position(offset: number): FilePosition {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  }

  function fileIssue(
    key: string,
    offset: number,
    message: string,
  ): ConfigIssue {
    return { key, source: "file", file, ...position(offset), message };
  }

  function walk(path: readonly (string | number)[], atKey: boolean): Located {
    let node: unknown = document.contents;
    let best: Located = {
      node: null,
      range: document.contents?.range,
      depth: 0,
    };
    for (const [index, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(document);
      const depth = index + 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => {
          const key = isScalar(item.key) ? item.key.value : item.key;
          return String(key) === String(segment);
        });
        if (pair === undefined) break;
        const keyNode = isScalar(pair.key) ? pair.key : null;
        const valueNode = pair.value as Node | null;
        best = atKey && depth === path.length
          ? { node: keyNode, range: keyNode?.range, depth }
          : {
            node: valueNode,
            range: valueNode?.range ?? keyNode?.range ?? best.range,
            depth,
          };
        node = valueNode;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined;
        if (item === undefined) break;
        best = { node: item, range: item.range ?? best.range, depth };
        node = item;
      } else {
        break;
      }
    }
    return best;
  }

  function locate(
    path: readonly (string | number)[],
    atKey: boolean,
  ): FilePosition {
    return position(walk(path, atKey).range?.[0] ?? 0);
  }

  /**
   * Quoted strings may span lines, so the parser notices a missing closing
   * quote only at the end of the file; point at the opening quote instead.
   */
  function errorOffset(code: string, offset: number): number {
    if (code !== "MISSING_CHAR") return offset;
    let opening = offset;
    visit(document, {
      Scalar(_key, node) {
        const quoted = node.type === "QUOTE_DOUBLE" ||
          node.type === "QUOTE_SINGLE";
        if (quoted && node.range?.[1] === offset) opening = node.range[0];
      },
    });
    return opening;
  }

  const issues: ConfigIssue[] = [];
  for (const error of document.errors) {
    const message = `YAML syntax error: ${error.message}`;
    const offset = errorOffset(error.code, error.pos[0]);
    issues.push(fileIssue("", offset, message));
  }
  if (issues.length > 0) return { ...unusable(file, issues), locate };

  const contents = document.contents;
  if (contents !== null && !isMap(contents)) {
    return {
      ...unusable(file, [
        fileIssue(
          "",
          contents.range?.[0] ?? 0,
          `expected a mapping at the top level: ${quote(contents.toJSON())}`,
        ),
      ]),
      locate,
    };
  }

  let value: Record<string, unknown>;
  try {
    value = (document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {}) as Record<
      string,
      unknown
    >;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ...unusable(file, [fileIssue("", 0, detail)]), locate };
  }

  for (const path of OCTAL_PATHS) {
    const { node, depth } = walk(path, false);
    const parent = path.slice(0, -1).reduce<unknown>(
      (object, key) =>
        object !== null && typeof object === "object"
          ? (object as Record<string, unknown>)[key]
          : undefined,
      value,
    );
    const last = path[path.length - 1];
    if (
      depth === path.length && isScalar(node) &&
      typeof node.value === "number" &&
      parent !== null && typeof parent === "object" && last !== undefined
    ) {
      (parent as Record<string, unknown>)[last] = node.source ??
        String(node.value);
    }
  }

  return { file, value, issues, locate };
}
