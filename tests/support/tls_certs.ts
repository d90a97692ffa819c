/**
 * A throwaway certificate authority and server certificate, made with
 * `openssl` in a temp dir at test time, for the TLS listener tests.
 *
 * The layout suits the docker CLI: `clientDir` holds only `ca.pem`, which
 * DOCKER_CERT_PATH with DOCKER_TLS_VERIFY=1 verifies the server against;
 * without `cert.pem` and `key.pem` there the CLI presents no certificate.
 *
 * @module
 */

/** Files made by {@linkcode makeTestCertificates}. */
export interface TestCertificates {
  /** The temp dir holding everything; remove it when done. */
  readonly dir: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caPem: string;
  /** Server certificate, for 127.0.0.1, ::1 and localhost. */
  readonly certFile: string;
  readonly keyFile: string;
  /** The server certificate followed by the CA's, in one PEM file. */
  readonly chainFile: string;
  /** A dir with only `ca.pem`, for DOCKER_CERT_PATH. */
  readonly clientDir: string;
}

const CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

async function openssl(args: string[], cwd: string): Promise<void> {
  const output = await new Deno.Command("openssl", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `openssl ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

/** True when `openssl` can be run. */
export function opensslAvailable(): boolean {
  try {
    return new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Makes a CA and a server certificate it signed, valid for two days. The
 * server certificate is a leaf (not a CA), as verifiers require.
 */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "dockgate-tls-" });
  try {
    await openssl([
      "req",
      "-x509",
      ...CURVE,
      "-nodes",
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=dockgate test CA",
    ], dir);
    await openssl([
      "req",
      ...CURVE,
      "-nodes",
      "-keyout",
      "server-key.pem",
      "-out",
      "server.csr",
      "-subj",
      "/CN=localhost",
    ], dir);
    await Deno.writeTextFile(
      `${dir}/server.ext`,
      "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n" +
        "basicConstraints=critical,CA:FALSE\n" +
        "extendedKeyUsage=serverAuth\n",
    );
    await openssl([
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      "server-cert.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    ], dir);
    await Deno.writeTextFile(
      `${dir}/chain.pem`,
      await Deno.readTextFile(`${dir}/server-cert.pem`) +
        await Deno.readTextFile(`${dir}/ca.pem`),
    );
    const clientDir = `${dir}/client`;
    await Deno.mkdir(clientDir);
    await Deno.copyFile(`${dir}/ca.pem`, `${clientDir}/ca.pem`);
    return {
      dir,
      caPem: await Deno.readTextFile(`${dir}/ca.pem`),
      certFile: `${dir}/server-cert.pem`,
      keyFile: `${dir}/server-key.pem`,
      chainFile: `${dir}/chain.pem`,
      clientDir,
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
