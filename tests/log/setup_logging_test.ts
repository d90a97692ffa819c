import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { getLogger, reset } from "@logtape/logtape";
import { createLineSink } from "../../src/log/line_formatters.ts";
import { setupLogging } from "../../src/log/setup_logging.ts";
import { captureRecords } from "./_records.ts";

const SETUP_MODULE = new URL("../../src/log/setup_logging.ts", import.meta.url)
  .href;
const DENO_JSON = fileURLToPath(new URL("../../deno.json", import.meta.url));

Deno.test("setupLogging() drops records below the level", async () => {
  const records = await captureRecords(
    { level: "warn", format: "text" },
    () => {
      const logger = getLogger(["dockgate", "test"]);
      logger.debug("debug {n}", { n: 1 });
      logger.info("info {n}", { n: 2 });
      logger.warn("warn {n}", { n: 3 });
      logger.error("error {n}", { n: 4 });
    },
  );
  deepStrictEqual(records.map((record) => record.level), [
    "warning",
    "error",
  ]);
  deepStrictEqual(records[0]?.category, ["dockgate", "test"]);
});

Deno.test("setupLogging() at debug keeps debug records", async () => {
  const records = await captureRecords(
    { level: "debug", format: "json" },
    () => getLogger(["dockgate"]).debug("starting"),
  );
  equal(records.length, 1);
});

Deno.test("setupLogging() ignores categories outside dockgate", async () => {
  const records = await captureRecords(
    { level: "debug", format: "text" },
    () => getLogger(["hono"]).error("not ours"),
  );
  equal(records.length, 0);
});

Deno.test("setupLogging() with a JSON sink writes parseable lines", async () => {
  const lines: string[] = [];
  try {
    await setupLogging({
      level: "info",
      format: "json",
      sink: createLineSink("json", (line) => lines.push(line)),
    });
    const logger = getLogger(["dockgate", "policy"]);
    logger.warn("Denied {method} {path}", {
      method: "POST",
      path: "/v1.41/containers/create",
      rule: "sections.CONTAINERS",
      status: 403,
    });
    logger.info("Listening on {addr}", { addr: "127.0.0.1:2375" });
    equal(lines.length, 2);
    ok(lines.every((line) => line.endsWith("\n")));
    const first = JSON.parse(lines[0] ?? "");
    deepStrictEqual(
      { ...first, time: typeof first.time },
      {
        time: "string",
        level: "warn",
        category: "dockgate.policy",
        message: "Denied POST /v1.41/containers/create",
        method: "POST",
        path: "/v1.41/containers/create",
        rule: "sections.CONTAINERS",
        status: 403,
      },
    );
    ok(!Number.isNaN(Date.parse(first.time)));
    equal(JSON.parse(lines[1] ?? "").addr, "127.0.0.1:2375");
  } finally {
    await reset();
  }
});

Deno.test("setupLogging() without a sink writes JSON to stderr", async () => {
  const script = `
    import { getLogger } from "@logtape/logtape";
    import { setupLogging } from ${JSON.stringify(SETUP_MODULE)};
    await setupLogging({ level: "info", format: "json" });
    const logger = getLogger(["dockgate", "main"]);
    logger.info("Started {version}", { version: "0.1.0" });
    logger.debug("hidden");
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", DENO_JSON, script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  equal(output.code, 0, stderr);
  equal(new TextDecoder().decode(output.stdout), "");
  const lines = stderr.trimEnd().split("\n");
  equal(lines.length, 1, stderr);
  const record = JSON.parse(lines[0] ?? "");
  equal(record.message, "Started 0.1.0");
  equal(record.version, "0.1.0");
  equal(record.category, "dockgate.main");
});
