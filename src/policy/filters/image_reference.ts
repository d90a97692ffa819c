/**
 * Image references normalised the way the engine normalises them: a port
 * of the rules of distribution/reference v0.6.0 `ParseNormalizedNamed`
 * (implicit `docker.io/library/`, registry ports, digests), written from
 * their description, not copied.
 *
 * @module
 */

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry, e.g. `"docker.io"`, `"localhost:5000"`. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `"library/ubuntu"`. */
  readonly path: string;
  readonly tag: string | null;
  /** `algorithm:hex`, e.g. `"sha256:…"`. */
  readonly digest: string | null;
  /** Name as the CLI shows it, e.g. `"ubuntu"`, `"me/app"`. */
  readonly familiar: string;
  /** `domain/path`, e.g. `"docker.io/library/ubuntu"` (`path` if no domain). */
  readonly name: string;
}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
const OFFICIAL_REPO_PREFIX = "library/";
const DEFAULT_TAG = "latest";

/** Longest repository path the grammar allows. */
const MAX_PATH_LENGTH = 255;

/**
 * Longest input we try to match at all: the longest valid reference is
 * well under this, and it bounds the regular expressions' work.
 */
const MAX_REFERENCE_LENGTH = 2048;

const ALPHANUMERIC = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST =
  "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const REFERENCE_REGEXP = new RegExp(
  `^((?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const NAME_REGEXP = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const TAG_REGEXP = new RegExp(`^${TAG}$`);
const HEX64_REGEXP = /^[a-f0-9]{64}$/;
const IMAGE_ID_REGEXP = /^(?:sha256:)?[a-f0-9]{64}$/;
const DIGEST_FORMAT_REGEXP =
  /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Hex length of each digest algorithm the engine supports. */
const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

/**
 * Whether `s` is a full image ID, `sha256:<64 hex>` or bare 64 hex. The
 * engine treats these as IDs, never as names.
 */
export function isImageId(s: string): boolean {
  return IMAGE_ID_REGEXP.test(s);
}

/**
 * Parses an image reference like the engine's `ParseNormalizedNamed`.
 *
 * @throws {RangeError} when the engine would refuse the reference
 *
 * @example
 * ```ts
 * parseImageReference("ubuntu:22.04").name; // "docker.io/library/ubuntu"
 * parseImageReference("localhost:5000/app").domain; // "localhost:5000"
 * ```
 */
export function parseImageReference(s: string): ImageReference {
  if (s.length > MAX_REFERENCE_LENGTH) {
    throw new RangeError(`Invalid image reference: longer than 2048 bytes`);
  }
  if (HEX64_REGEXP.test(s)) {
    throw new RangeError(
      `Invalid image reference ${JSON.stringify(s)}: 64-byte hexadecimal ` +
        "strings are image IDs",
    );
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSeparator = remainder.indexOf(":");
  const remoteName = tagSeparator === -1
    ? remainder
    : remainder.slice(0, tagSeparator);
  if (remoteName.toLowerCase() !== remoteName) {
    throw new RangeError(
      `Invalid image reference ${
        JSON.stringify(s)
      }: repository name must be lowercase`,
    );
  }
  return parseReference(`${domain}/${remainder}`, s);
}

/** Splits off the registry part the way the engine decides what it is. */
function splitDockerDomain(s: string): [string, string] {
  const slash = s.indexOf("/");
  let domain: string;
  let remainder: string;
  if (slash === -1) {
    // A single element is always a Docker Hub name, even "localhost".
    domain = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    const first = s.slice(0, slash);
    const isDomain = first === "localhost" || first === LEGACY_DEFAULT_DOMAIN ||
      first.includes(".") || first.includes(":") ||
      first.toLowerCase() !== first;
    domain = isDomain ? first : DEFAULT_DOMAIN;
    remainder = isDomain ? s.slice(slash + 1) : s;
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) {
    remainder = OFFICIAL_REPO_PREFIX + remainder;
  }
  return [domain, remainder];
}

function parseReference(full: string, input: string): ImageReference {
  const match = REFERENCE_REGEXP.exec(full);
  const nameMatch = match?.[1] === undefined
    ? null
    : NAME_REGEXP.exec(match[1]);
  if (match === null || nameMatch === null) {
    throw new RangeError(
      `Invalid image reference ${JSON.stringify(input)}: bad format`,
    );
  }
  const domain = nameMatch[1] ?? "";
  const path = nameMatch[2] ?? "";
  if (path.length > MAX_PATH_LENGTH) {
    throw new RangeError(
      `Invalid image reference ${
        JSON.stringify(input)
      }: repository name longer than 255 characters`,
    );
  }
  const digest = match[3] === undefined ? null : parseDigest(match[3]);
  if (digest === null && match[3] !== undefined) {
    throw new RangeError(
      `Invalid image reference ${JSON.stringify(input)}: bad digest`,
    );
  }
  return makeReference(domain, path, match[2] ?? null, digest);
}

function makeReference(
  domain: string,
  path: string,
  tag: string | null,
  digest: string | null,
): ImageReference {
  return {
    domain,
    path,
    tag,
    digest,
    familiar: familiarName(domain, path),
    name: joinName(domain, path),
  };
}

/**
 * The grammar lets a name without a valid domain match as a bare path
 * (`a_b.example/x` has no domain at all), as in the engine.
 */
function joinName(domain: string, path: string): string {
  return domain === "" ? path : `${domain}/${path}`;
}

/** Docker Hub names lose their domain and a single-level `library/`. */
function familiarName(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return joinName(domain, path);
  const rest = path.startsWith(OFFICIAL_REPO_PREFIX)
    ? path.slice(OFFICIAL_REPO_PREFIX.length)
    : path;
  return rest.includes("/") ? path : rest;
}

/**
 * Checks a digest like go-digest's `Parse`: a supported algorithm and the
 * right number of lower-case hex digits. Returns null when invalid.
 */
export function parseDigest(s: string): string | null {
  const match = DIGEST_FORMAT_REGEXP.exec(s);
  if (match === null) return null;
  const [, algorithm = "", hex = ""] = match;
  const length = DIGEST_HEX_LENGTHS[algorithm];
  if (length === undefined || hex.length !== length) return null;
  return /^[a-f0-9]+$/.test(hex) ? s : null;
}

/**
 * Adds the tag `latest` when the reference has neither a tag nor a
 * digest, like the engine's `TagNameOnly`.
 */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== null || ref.digest !== null) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/**
 * Sets the tag like the engine's `WithTag`; an existing digest is kept.
 *
 * @throws {RangeError} when `tag` is not a valid tag
 */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!TAG_REGEXP.test(tag)) {
    throw new RangeError(`Invalid tag ${JSON.stringify(tag)}: bad format`);
  }
  return { ...ref, tag };
}

/** Replaces tag and digest by `digest`, like `WithDigest(TrimNamed(ref))`. */
export function withDigestOnly(
  ref: ImageReference,
  digest: string,
): ImageReference {
  return { ...ref, tag: null, digest };
}

/** `domain/path[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  const tag = ref.tag === null ? "" : `:${ref.tag}`;
  const digest = ref.digest === null ? "" : `@${ref.digest}`;
  return `${ref.name}${tag}${digest}`;
}
