// The endpoint's certificates: made on first run, trusted through the CA file by node:tls and
// node:https with verification on, covering 127.0.0.1 and localhost, reused and re-issued.

import { X509Certificate, randomUUID } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { connect, type DetailedPeerCertificate } from "node:tls";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadOrCreateIdentity } from "../../host-sim/endpoint/certs.js";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { tempDir } from "./helpers.js";

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

/** Connects with verification on; resolves with the peer's chain or rejects with the TLS error. */
function handshake(port: number, host: string, ca?: string | Buffer): Promise<DetailedPeerCertificate> {
  return new Promise((resolve, reject) => {
    const servername = host === "127.0.0.1" ? undefined : host;
    const socket = connect({ port, host: "127.0.0.1", servername, ca, rejectUnauthorized: true }, () => {
      const peer = socket.getPeerCertificate(true);
      socket.end();
      resolve(peer);
    });
    socket.on("error", reject);
  });
}

describe("certificates", () => {
  it("creates a CA and a leaf on first run that verify with the CA file, for 127.0.0.1 and localhost", async () => {
    const dataDir = tempDir();
    const token = randomUUID();
    const endpoint = await startEndpoint({ dataDir, devices: [{ token }] });
    onTestFinished(() => endpoint.close());

    expect(endpoint.caPemPath).toBe(join(dataDir, "ca.pem"));
    expect(endpoint.caDerPath).toBe(join(dataDir, "ca.der"));
    const caFile = readFileSync(endpoint.caPemPath);
    expect(caFile.toString()).toBe(endpoint.caPem);
    const ca = new X509Certificate(caFile);
    expect(new X509Certificate(readFileSync(endpoint.caDerPath)).raw.equals(ca.raw)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyType).toBe("rsa");
    expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);

    // Verification on: the IP and the name both match, and the chain ends at the CA file.
    const peer = await handshake(endpoint.port, "127.0.0.1", caFile);
    await handshake(endpoint.port, "localhost", caFile);
    expect(peer.subjectaltname).toBe("IP Address:127.0.0.1, DNS:localhost");
    expect(peer.issuerCertificate.fingerprint256).toBe(ca.fingerprint256);

    const leaf = new X509Certificate(peer.raw);
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    for (const cert of [ca, leaf]) {
      const from = Date.parse(cert.validFrom);
      expect(Math.abs(from - (Date.now() - DAY_MS))).toBeLessThan(10 * 60_000);
      expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(3 * YEAR_MS);
    }
    // The private keys are PKCS#8 PEM, readable only by the owner.
    for (const name of ["ca-key.pem", "leaf-key.pem"]) {
      expect(readFileSync(join(dataDir, name), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(statSync(join(dataDir, name)).mode & 0o077).toBe(0);
    }

    // node:https with the default rejectUnauthorized and the CA: a real request goes through.
    const status = await new Promise<number>((resolve, reject) => {
      get(`${endpoint.url}/info`, { ca: caFile, headers: { "Device-Token": token } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(status).toBe(200);
  });

  it("is refused by a client that does not trust the CA", async () => {
    const endpoint = await startEndpoint({ dataDir: tempDir(), devices: [] });
    onTestFinished(() => endpoint.close());
    await expect(handshake(endpoint.port, "127.0.0.1")).rejects.toMatchObject({ code: "SELF_SIGNED_CERT_IN_CHAIN" });
    await expect(handshake(endpoint.port, "example.com", endpoint.caPem)).rejects.toMatchObject({
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });

  it("reuses the CA and leaf, and re-issues a lost leaf from the same CA", async () => {
    const dir = tempDir();
    const first = await loadOrCreateIdentity(dir);
    const again = await loadOrCreateIdentity(dir);
    expect(again).toEqual(first);

    rmSync(join(dir, "leaf.pem"));
    const reissued = await loadOrCreateIdentity(dir);
    expect(reissued.caPem).toBe(first.caPem);
    expect(reissued.cert).not.toBe(first.cert);
    const leaf = new X509Certificate(reissued.cert);
    expect(leaf.verify(new X509Certificate(first.caPem).publicKey)).toBe(true);

    rmSync(join(dir, "ca.der"));
    expect((await loadOrCreateIdentity(dir)).caPem).toBe(first.caPem);
    expect(new X509Certificate(readFileSync(join(dir, "ca.der"))).raw.equals(new X509Certificate(first.caPem).raw)).toBe(true);
  });
});
