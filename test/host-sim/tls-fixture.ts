// A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made with the
// openssl command line in a temp dir, for tests that need a real TLS server of their own.
// (@peculiar/x509 needs a Reflect metadata polyfill that is not installed.)

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsFixture {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function makeTlsFixture(commonName = "host-sim test CA"): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), "tls-fixture-"));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  try {
    openssl("req", "-x509", ...ec, "-keyout", at("ca.key"), "-out", at("ca.pem"), "-days", "2", "-subj", `/CN=${commonName}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", ...ec, "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=localhost");
    writeFileSync(at("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial",
      "-out", at("server.pem"), "-days", "2", "-extfile", at("ext.cnf"));
    const read = (name: string) => readFileSync(at(name), "utf8");
    return { caPem: read("ca.pem"), certPem: read("server.pem"), keyPem: read("server.key") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
