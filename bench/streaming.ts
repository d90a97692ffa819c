/**
 * Streaming through a target: a tar archive uploaded into a container and
 * downloaded again (`PUT`/`GET /containers/{id}/archive`, with curl), and a
 * hijacked stream piped through `docker exec -i <id> cat` (the real CLI).
 *
 * @module
 */

import { dockerEnv } from "../tests/support/docker_cli.ts";
import { runChecked } from "./processes.ts";

/** The streams measured, in the order they run. */
export const STREAM_KINDS = ["upload", "download", "exec"] as const;

/** One of {@linkcode STREAM_KINDS}. */
export type StreamKind = typeof STREAM_KINDS[number];

/** Files the streams send, made once per run. */
export interface StreamFiles {
  /** A tar holding one file, `big.bin`, of the archive size. */
  uploadTar: string;
  archiveBytes: number;
  /** Raw bytes for the exec pipe. */
  execInput: string;
  execBytes: number;
}

const API = "/v1.41";
const MIB = 1024 * 1024;
/** Where the archive lands in the container. */
const ARCHIVE_DIR = "/tmp";
const CURL_REPORT = "%{http_code} %{size_download} %{time_total}";

/**
 * Writes the upload tar and the exec input into `dir`. The content is a
 * repeated random MiB, so nothing on the way can shortcut runs of zeros.
 */
export async function prepareStreamFiles(
  dir: string,
  archiveBytes: number,
  execBytes: number,
): Promise<StreamFiles> {
  const block = new Uint8Array(MIB);
  for (let offset = 0; offset < block.length; offset += 65536) {
    crypto.getRandomValues(block.subarray(offset, offset + 65536));
  }
  const stage = `${dir}/stage`;
  await Deno.mkdir(stage, { recursive: true });
  await writeRepeated(`${stage}/big.bin`, block, archiveBytes);
  await writeRepeated(`${dir}/exec.bin`, block, execBytes);
  const uploadTar = `${dir}/upload.tar`;
  await runChecked("tar", ["-C", stage, "-cf", uploadTar, "big.bin"], {
    timeoutMs: 120_000,
  });
  await Deno.remove(stage, { recursive: true });
  return { uploadTar, archiveBytes, execInput: `${dir}/exec.bin`, execBytes };
}

async function writeRepeated(
  path: string,
  block: Uint8Array,
  bytes: number,
): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true });
  let left = bytes;
  while (left > 0) {
    const piece = block.subarray(0, Math.min(left, block.length));
    let written = 0;
    while (written < piece.length) {
      written += await file.write(piece.subarray(written));
    }
    left -= piece.length;
  }
}

/**
 * Runs one stream of `kind` through `addr` into container `id` and
 * resolves with the seconds it took. Throws when the stream was cut short.
 */
export async function runStream(
  kind: StreamKind,
  addr: string,
  id: string,
  files: StreamFiles,
): Promise<{ bytes: number; seconds: number }> {
  switch (kind) {
    case "upload":
      return await uploadArchive(addr, id, files);
    case "download":
      return await downloadArchive(addr, id, files);
    case "exec":
      return await pipeThroughExec(addr, id, files);
  }
}

async function uploadArchive(
  addr: string,
  id: string,
  files: StreamFiles,
): Promise<{ bytes: number; seconds: number }> {
  const url = `http://${addr}${API}/containers/${id}/archive?path=` +
    encodeURIComponent(ARCHIVE_DIR);
  // "Expect:" keeps curl from waiting for a 100 Continue, which no proxy
  // in this bench sends itself.
  const { stdout: report } = await runChecked("curl", [
    "--silent",
    "--show-error",
    "--request",
    "PUT",
    "--header",
    "Content-Type: application/x-tar",
    "--header",
    "Expect:",
    "--upload-file",
    files.uploadTar,
    "--output",
    "/dev/null",
    "--write-out",
    CURL_REPORT,
    url,
  ], { timeoutMs: 600_000 });
  const [status, , total] = report.trim().split(" ");
  if (status !== "200") {
    throw new Error(`archive upload via ${addr} answered ${status}`);
  }
  const bytes = (await Deno.stat(files.uploadTar)).size;
  return { bytes, seconds: Number(total) };
}

async function downloadArchive(
  addr: string,
  id: string,
  files: StreamFiles,
): Promise<{ bytes: number; seconds: number }> {
  const url = `http://${addr}${API}/containers/${id}/archive?path=` +
    encodeURIComponent(`${ARCHIVE_DIR}/big.bin`);
  const { stdout: report } = await runChecked("curl", [
    "--silent",
    "--show-error",
    "--output",
    "/dev/null",
    "--write-out",
    CURL_REPORT,
    url,
  ], { timeoutMs: 600_000 });
  const [status, size, total] = report.trim().split(" ");
  const bytes = Number(size);
  if (status !== "200" || bytes < files.archiveBytes) {
    throw new Error(
      `archive download via ${addr} answered ${status} with ${size} bytes`,
    );
  }
  return { bytes, seconds: Number(total) };
}

/**
 * Pipes the exec input through `cat` in the container with the docker CLI
 * and counts what comes back. The time includes the CLI's own start and
 * the exec create, inspect and start requests, as a user would see it.
 */
async function pipeThroughExec(
  addr: string,
  id: string,
  files: StreamFiles,
): Promise<{ bytes: number; seconds: number }> {
  const startedAt = performance.now();
  // dash has no pipefail: the byte count tells whether the exec worked and
  // the CLI's stderr says why not.
  const { stdout, stderr } = await runChecked("sh", [
    "-c",
    'docker exec -i "$1" cat <"$2" | wc -c',
    "exec-pipe",
    id,
    files.execInput,
  ], { env: dockerEnv(`tcp://${addr}`), timeoutMs: 600_000 });
  const seconds = (performance.now() - startedAt) / 1000;
  const bytes = Number(stdout.trim());
  if (bytes !== files.execBytes) {
    throw new Error(
      `exec pipe via ${addr} returned ${bytes} of ${files.execBytes} bytes: ` +
        stderr.trim().slice(-1000),
    );
  }
  return { bytes, seconds };
}
