import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  formatReference,
  isImageId,
  parseDigest,
  parseImageReference,
  withDefaultTag,
  withTag,
} from "../../../src/policy/filters/image_reference.ts";

const HEX64 = "a".repeat(64);
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

/** input, domain, path, tag, digest, familiar name */
const NORMALISED: [
  string,
  string,
  string,
  string | null,
  string | null,
  string,
][] = [
  ["ubuntu", "docker.io", "library/ubuntu", null, null, "ubuntu"],
  ["library/ubuntu", "docker.io", "library/ubuntu", null, null, "ubuntu"],
  ["docker.io/ubuntu", "docker.io", "library/ubuntu", null, null, "ubuntu"],
  [
    "index.docker.io/ubuntu",
    "docker.io",
    "library/ubuntu",
    null,
    null,
    "ubuntu",
  ],
  [
    "index.docker.io/library/ubuntu",
    "docker.io",
    "library/ubuntu",
    null,
    null,
    "ubuntu",
  ],
  [
    "registry-1.docker.io/library/ubuntu",
    "registry-1.docker.io",
    "library/ubuntu",
    null,
    null,
    "registry-1.docker.io/library/ubuntu",
  ],
  [
    "Docker.io/library/ubuntu",
    "Docker.io",
    "library/ubuntu",
    null,
    null,
    "Docker.io/library/ubuntu",
  ],
  [
    "INDEX.DOCKER.IO/x",
    "INDEX.DOCKER.IO",
    "x",
    null,
    null,
    "INDEX.DOCKER.IO/x",
  ],
  ["Foo/bar", "Foo", "bar", null, null, "Foo/bar"],
  ["localhost/foo", "localhost", "foo", null, null, "localhost/foo"],
  [
    "localhost:5000/foo",
    "localhost:5000",
    "foo",
    null,
    null,
    "localhost:5000/foo",
  ],
  ["[::1]:5000/foo", "[::1]:5000", "foo", null, null, "[::1]:5000/foo"],
  ["localhost", "docker.io", "library/localhost", null, null, "localhost"],
  [
    "example.com",
    "docker.io",
    "library/example.com",
    null,
    null,
    "example.com",
  ],
  ["foo:5000", "docker.io", "library/foo", "5000", null, "foo"],
  ["foo:5000/bar", "foo:5000", "bar", null, null, "foo:5000/bar"],
  ["ubuntu:Latest", "docker.io", "library/ubuntu", "Latest", null, "ubuntu"],
  [`ubuntu@${DIGEST}`, "docker.io", "library/ubuntu", null, DIGEST, "ubuntu"],
  [
    `ubuntu:22.04@${DIGEST}`,
    "docker.io",
    "library/ubuntu",
    "22.04",
    DIGEST,
    "ubuntu",
  ],
  ["me/app:v1", "docker.io", "me/app", "v1", null, "me/app"],
  [
    "docker.io/library/a/b",
    "docker.io",
    "library/a/b",
    null,
    null,
    "library/a/b",
  ],
  ["a-b.c.d/e---f__g", "a-b.c.d", "e---f__g", null, null, "a-b.c.d/e---f__g"],
];

Deno.test("parseImageReference() normalises every row of the reference table", () => {
  for (const [input, domain, path, tag, digest, familiar] of NORMALISED) {
    deepStrictEqual(
      parseImageReference(input),
      { domain, path, tag, digest, familiar, name: `${domain}/${path}` },
      input,
    );
  }
});

Deno.test("parseImageReference() refuses what the engine refuses", () => {
  const refused = [
    "foo/Bar",
    "UBUNTU",
    "a___b",
    "a..b",
    "-a",
    "a/",
    " ubuntu",
    "",
    HEX64,
    "ubuntu:",
    `ubuntu:${"t".repeat(129)}`,
    `ubuntu@sha256:${"A".repeat(64)}`,
    `ubuntu@sha256:${"a".repeat(63)}`,
    `ubuntu@md5:${"a".repeat(32)}`,
    `ubuntu@${DIGEST}:tag`,
    `me/${"a".repeat(253)}`,
    "x".repeat(3000),
    "ſhell",
    "docker.io/ubunt\u212a",
  ];
  for (const input of refused) {
    throws(() => parseImageReference(input), RangeError, input);
  }
});

Deno.test("parseImageReference() reads an invalid domain as part of the path like the engine", () => {
  const ref = parseImageReference("a_b.example/x");
  deepStrictEqual([ref.domain, ref.path, ref.name], [
    "",
    "a_b.example/x",
    "a_b.example/x",
  ]);
});

Deno.test("parseImageReference() accepts a 255-character repository path", () => {
  strictEqual(parseImageReference(`me/${"a".repeat(252)}`).path.length, 255);
});

Deno.test("isImageId() recognises full IDs only", () => {
  const cases: [string, boolean][] = [
    [HEX64, true],
    [`sha256:${HEX64}`, true],
    ["a".repeat(63), false],
    [`sha512:${HEX64}`, false],
    [HEX64.toUpperCase(), false],
    ["ubuntu", false],
  ];
  for (const [input, expected] of cases) {
    strictEqual(isImageId(input), expected, input);
  }
});

Deno.test("withDefaultTag() adds latest only without tag and digest", () => {
  const cases: [string, string][] = [
    ["ubuntu", "docker.io/library/ubuntu:latest"],
    ["ubuntu:22.04", "docker.io/library/ubuntu:22.04"],
    [`ubuntu@${DIGEST}`, `docker.io/library/ubuntu@${DIGEST}`],
    [`ubuntu:1@${DIGEST}`, `docker.io/library/ubuntu:1@${DIGEST}`],
  ];
  for (const [input, expected] of cases) {
    strictEqual(
      formatReference(withDefaultTag(parseImageReference(input))),
      expected,
    );
  }
});

Deno.test("withTag() keeps the digest and refuses a bad tag", () => {
  const ref = parseImageReference(`ubuntu@${DIGEST}`);
  strictEqual(
    formatReference(withTag(ref, "2")),
    `docker.io/library/ubuntu:2@${DIGEST}`,
  );
  throws(() => withTag(ref, "-bad"), RangeError);
  throws(() => withTag(ref, "a/b"), RangeError);
});

Deno.test("parseDigest() accepts supported algorithms with exact lower-case hex", () => {
  const cases: [string, boolean][] = [
    [DIGEST, true],
    [`sha384:${"a".repeat(96)}`, true],
    [`sha512:${"a".repeat(128)}`, true],
    [`sha256:${"a".repeat(65)}`, false],
    [`sha256:${"A".repeat(64)}`, false],
    [`sha1:${"a".repeat(40)}`, false],
    ["latest", false],
    ["sha256:", false],
  ];
  for (const [input, ok] of cases) {
    strictEqual(parseDigest(input) !== null, ok, input);
  }
});
