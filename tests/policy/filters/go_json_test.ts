import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  BodyError,
  canonicalizeKeys,
  decodeEngineJson,
  foldKey,
  MAX_JSON_DEPTH,
} from "../../../src/policy/filters/go_json.ts";
import {
  CONTAINER_CREATE_SCHEMA,
  HOST_CONFIG_SCHEMA,
} from "../../../src/policy/filters/schemas.ts";

function decodeText(text: string): unknown {
  return decodeEngineJson(new TextEncoder().encode(text));
}

function assertBodyError(run: () => unknown, message: RegExp): void {
  throws(run, (error: unknown) => {
    strictEqual(error instanceof BodyError, true);
    strictEqual((error as BodyError).status, 400);
    return message.test((error as Error).message);
  });
}

Deno.test("foldKey() folds the long s, Kelvin and Angstrom signs like Go", () => {
  strictEqual(foldKey("Hoſtconfig"), foldKey("HostConfig"));
  strictEqual(foldKey("Networ\u212aMode"), foldKey("networkmode"));
  strictEqual(foldKey("\u212b"), foldKey("\u00c5"));
  strictEqual(foldKey("Privileged") === foldKey("Privileges"), false);
});

Deno.test("decodeEngineJson() refuses keys that Go could read as one field", () => {
  const duplicates = [
    '{"Privileged":false,"Privileged":true}',
    '{"Privileged":false,"privileged":true}',
    '{"HostConfig":{},"hostconfig":{"Privileged":true}}',
    '{"HostConfig":{"Binds":[],"bindſ":["/:/h"]}}',
    '{"HostConfig":{"NetworkMode":"none","Networ\u212aMode":"host"}}',
    '{"HostConfig":{"Privileged":false,"\\u0050rivileged":true}}',
    '{"a":[{"b":{"Deep":1,"DEEP":2}}]}',
    '{"Labels":{"env":"a","ENV":"b"}}',
  ];
  for (const text of duplicates) {
    assertBodyError(() => decodeText(text), /duplicate key/);
  }
});

Deno.test("decodeEngineJson() refuses bytes Go and JavaScript read differently", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), /byte order mark/],
    [new Uint8Array([0x22, 0xff, 0x22]), /invalid UTF-8/],
    [new TextEncoder().encode('{"Image":"x"}}'), /after the JSON value/],
    [new TextEncoder().encode('{"Image":"x"}]'), /after the JSON value/],
    [new TextEncoder().encode('{"a":"\\ud800"}'), /unpaired surrogate/],
    [new TextEncoder().encode('{"\\udc00":1}'), /unpaired surrogate/],
    [new TextEncoder().encode("{'a':1}"), /expected a key/],
    [new TextEncoder().encode('{"a":01}'), /expected ','/],
    [new TextEncoder().encode('{"a":"\t"}'), /control character/],
    [new TextEncoder().encode(""), /invalid value/],
  ];
  for (const [bytes, message] of cases) {
    assertBodyError(() => decodeEngineJson(bytes), message);
  }
});

Deno.test("decodeEngineJson() refuses nesting deeper than the limit", () => {
  const deep = "[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1);
  assertBodyError(() => decodeText(deep), /nesting too deep/);
  const ok = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  strictEqual(Array.isArray(decodeText(ok)), true);
});

Deno.test("decodeEngineJson() reads valid bodies exactly like JSON.parse", () => {
  const texts = [
    ' {"Image":"tiny:1","Cmd":["sh","-c","echo \\"hi\\""],"n":-1.5e3} ',
    '{"emoji":"\\ud83d\\ude00","plain":"\u00e9","empty":{},"list":[]}',
    '"just a string"',
    "null",
    '{"Labels":{"a":"1","b":"2"},"HostConfig":{"Binds":null}}',
  ];
  for (const text of texts) deepStrictEqual(decodeText(text), JSON.parse(text));
});

Deno.test("canonicalizeKeys() renames case-folded struct keys to Go field names", () => {
  const body = decodeText(
    '{"image":"x","HOSTCONFIG":{"privileged":true,"BINDS":["/a:/b"],' +
      '"networkmode":"host","mounts":[{"type":"bind","SOURCE":"/"}]},' +
      '"labels":{"env":"prod"}}',
  );
  deepStrictEqual(canonicalizeKeys(body, CONTAINER_CREATE_SCHEMA), {
    Image: "x",
    HostConfig: {
      Privileged: true,
      Binds: ["/a:/b"],
      NetworkMode: "host",
      Mounts: [{ Type: "bind", Source: "/" }],
    },
    Labels: { env: "prod" },
  });
});

Deno.test("canonicalizeKeys() refuses long-s and Kelvin spellings of struct keys", () => {
  for (
    const text of [
      '{"Hoſtconfig":{}}',
      '{"HostConfig":{"Networ\u212aMode":"host"}}',
    ]
  ) {
    assertBodyError(
      () => canonicalizeKeys(decodeText(text), CONTAINER_CREATE_SCHEMA),
      /non-ASCII key/,
    );
  }
});

Deno.test("canonicalizeKeys() keeps map keys and unknown keys as sent", () => {
  const body = {
    Labels: { Env: "a", "ſ": "b" },
    HostConfig: { Sysctls: { "net.ipv4.ip_forward": "1" }, Unknown: 1 },
    Extra: true,
  };
  deepStrictEqual(canonicalizeKeys(body, CONTAINER_CREATE_SCHEMA), body);
});

Deno.test("canonicalizeKeys() refuses non-ASCII keys in struct positions", () => {
  const bodies = [
    { "Hoſtconfig": {} },
    { HostConfig: { "Privileged\u00a0": true } },
    { HostConfig: { Mounts: [{ "Typ\u0435": "bind" }] } },
  ];
  for (const body of bodies) {
    assertBodyError(
      () => canonicalizeKeys(body, CONTAINER_CREATE_SCHEMA),
      /non-ASCII key/,
    );
  }
});

Deno.test("canonicalizeKeys() refuses two keys for one field in an object not decoded here", () => {
  assertBodyError(
    () =>
      canonicalizeKeys(
        { privileged: true, Privileged: false },
        HOST_CONFIG_SCHEMA,
      ),
    /two keys for body.Privileged/,
  );
});

Deno.test("canonicalizeKeys() refuses values of the wrong JSON type", () => {
  const cases: [unknown, RegExp][] = [
    [{ HostConfig: { Privileged: "true" } }, /Privileged: expected boolean/],
    [{ HostConfig: { Privileged: 1 } }, /expected boolean, got number/],
    [{ HostConfig: { Binds: "/:/h" } }, /Binds: expected array/],
    [{ HostConfig: { Binds: [1] } }, /Binds\[0\]: expected string/],
    [{ HostConfig: [] }, /HostConfig: expected object, got array/],
    [{ Labels: { a: 1 } }, /Labels\["a"\]: expected string/],
    [{ Image: ["x"] }, /Image: expected string, got array/],
  ];
  for (const [body, message] of cases) {
    assertBodyError(
      () => canonicalizeKeys(body, CONTAINER_CREATE_SCHEMA),
      message,
    );
  }
});

Deno.test("canonicalizeKeys() turns a single CapAdd string into a list like Go's StrSlice", () => {
  deepStrictEqual(
    canonicalizeKeys({ capadd: "ALL" }, HOST_CONFIG_SCHEMA),
    { CapAdd: ["ALL"] },
  );
});

Deno.test("canonicalizeKeys() keeps null, which the engine reads as unset", () => {
  deepStrictEqual(
    canonicalizeKeys(
      { hostconfig: null, image: null },
      CONTAINER_CREATE_SCHEMA,
    ),
    { HostConfig: null, Image: null },
  );
});

Deno.test("canonicalizeKeys() does not let a __proto__ key change the prototype", () => {
  const body = decodeText('{"Labels":{"__proto__":{"polluted":"yes"}}}');
  const labels = (canonicalizeKeys(body, { kind: "any" }) as {
    Labels: Record<string, unknown>;
  }).Labels;
  strictEqual(Object.getPrototypeOf(labels), Object.prototype);
  const out = canonicalizeKeys({ __proto__: null, ...{} }, HOST_CONFIG_SCHEMA);
  strictEqual(Object.getPrototypeOf(out), Object.prototype);
  const mapped = canonicalizeKeys(
    JSON.parse('{"Annotations":{"__proto__":"x"}}'),
    HOST_CONFIG_SCHEMA,
  ) as { Annotations: object };
  strictEqual(Object.getPrototypeOf(mapped.Annotations), Object.prototype);
  strictEqual(Object.hasOwn(mapped.Annotations, "__proto__"), true);
});
