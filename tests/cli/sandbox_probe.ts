/**
 * Tries what dockgate's permissions should refuse, run by sandbox_test.ts
 * under exactly those permissions. Each argument is `action` or
 * `action:target`; one JSON object a line comes back per argument:
 * `{"probe": ..., "outcome": "allowed" | <error class>}`.
 *
 * @module
 */

type Probe = (target: string) => unknown | Promise<unknown>;

const PROBES: Record<string, Probe> = {
  spawn: () => new Deno.Command("true").outputSync(),
  kill: (pid) => Deno.kill(Number(pid), "SIGCONT"),
  read: (path) => Deno.readFileSync(path),
  write: (path) => Deno.writeTextFileSync(path, "probe\n"),
  "connect-unix": async (path) =>
    (await Deno.connect({ transport: "unix", path })).close(),
  ffi: () => Deno.dlopen("libc.so.6", {}),
  sys: () => Deno.osRelease(),
  hostname: () => Deno.hostname(),
};

async function run(argument: string): Promise<Record<string, unknown>> {
  const colon = argument.indexOf(":");
  const name = colon < 0 ? argument : argument.slice(0, colon);
  const target = colon < 0 ? "" : argument.slice(colon + 1);
  const probe = PROBES[name];
  if (probe === undefined) throw new TypeError(`unknown probe: ${name}`);
  try {
    const value = await probe(target);
    return { probe: argument, outcome: "allowed", value: summary(value) };
  } catch (error) {
    const outcome = error instanceof Error ? error.constructor.name : "?";
    const message = error instanceof Error ? error.message : String(error);
    return { probe: argument, outcome, message };
  }
}

function summary(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === "string") {
    return value;
  }
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === "object") return Object.keys(value).sort();
  return String(value);
}

for (const argument of Deno.args) {
  const line = JSON.stringify(await run(argument)) + "\n";
  Deno.stdout.writeSync(new TextEncoder().encode(line));
}
