// The endpoint's certificates: made on first run, trusted through the CA file by node:tls and
// node:https with verification on, covering 127.0.0.1, localhost and extra names, reused, and
// re-issued from the same CA when lost or when the names change.

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate, randomUUID, webcrypto } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { checkServerIdentity, connect, type DetailedPeerCertificate } from "node:tls";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadOrCreateIdentity } from "../../host-sim/endpoint/certs.js";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { seededDir, start, tempDir } from "./helpers.js";

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

/**
 * Connects to 127.0.0.1 and verifies the chain against `ca` and the leaf against `ip` with Node's
 * own checkServerIdentity, as a client that dialled that address would (SNI cannot carry an IP).
 */
function handshakeAsIp(port: number, ip: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { port, host: "127.0.0.1", ca, checkServerIdentity: (_host, cert) => checkServerIdentity(ip, cert) },
      () => {
        socket.end();
        resolve();
      },
    );
    socket.on("error", reject);
  });
}

const files = (dir: string, ...names: string[]): Buffer[] => names.map((n) => readFileSync(join(dir, n)));

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

  it("keeps its identity in a folder of its own that does not exist yet (as firmware:sim does)", async () => {
    const dataDir = tempDir();
    const identityDir = join(tempDir(), "not", "yet");
    const endpoint = await startEndpoint({ dataDir, identityDir, devices: [{ token: randomUUID() }] });
    onTestFinished(() => endpoint.close());
    expect(endpoint.caPemPath).toBe(join(identityDir, "ca.pem"));
    expect(files(identityDir, "ca.pem", "ca-key.pem", "leaf.pem").every((b) => b.length > 0)).toBe(true);
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

  it("gives the CA an Authority Key Identifier equal to its Subject Key Identifier (the Moddable SDK reads it)", async () => {
    const dir = tempDir();
    const identity = await loadOrCreateIdentity(dir);
    const ca = new x509.X509Certificate(identity.caPem);
    const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(ski).toMatch(/^[0-9a-f]{40}$/);
    expect(ca.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ski);
    // The CA the server sends is the one in ca.der, which the firmware registers as its anchor.
    const sent = x509.PemConverter.decode(identity.cert);
    expect(Buffer.from(sent[sent.length - 1]).equals(readFileSync(join(dir, "ca.der")))).toBe(true);
  });

  it("signs a CA made without an Authority Key Identifier again with its own key; the old ca.pem still verifies", async () => {
    const dir = tempDir();
    const first = await loadOrCreateIdentity(dir);
    const current = new x509.X509Certificate(first.caPem);
    // What older versions wrote: the same CA without the extension.
    const key = await webcrypto.subtle.importKey(
      "pkcs8",
      x509.PemConverter.decodeFirst(readFileSync(join(dir, "ca-key.pem"), "utf8")),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const old = await x509.X509CertificateGenerator.create({
      subject: current.subject,
      issuer: current.subject,
      publicKey: current.publicKey,
      signingKey: key,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      notBefore: current.notBefore,
      notAfter: current.notAfter,
      extensions: current.extensions.filter((e) => !(e instanceof x509.AuthorityKeyIdentifierExtension)),
    });
    const oldPem = old.toString("pem") + "\n";
    writeFileSync(join(dir, "ca.pem"), oldPem);
    writeFileSync(join(dir, "ca.der"), Buffer.from(old.rawData));

    const endpoint = await startEndpoint({ dataDir: dir, devices: [] });
    onTestFinished(() => endpoint.close());
    const fixed = new x509.X509Certificate(endpoint.caPem);
    expect(fixed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      current.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(fixed.subject).toBe(current.subject);
    expect(Buffer.from(fixed.publicKey.rawData).equals(Buffer.from(current.publicKey.rawData))).toBe(true);
    expect(new x509.X509Certificate(readFileSync(join(dir, "ca.der"))).equal(fixed)).toBe(true);
    // The leaf was kept, and a client holding the old CA file still verifies the server.
    expect(readFileSync(join(dir, "leaf.pem"), "utf8")).toBe(first.cert.slice(0, -first.caPem.length));
    await handshake(endpoint.port, "127.0.0.1", oldPem);
    await handshake(endpoint.port, "localhost", endpoint.caPem);
  });

  it("makes lost CA files again from what is left, says so, and makes a new CA (loudly) only when the key is gone", async () => {
    const dir = tempDir();
    const first = await loadOrCreateIdentity(dir);
    expect(first.notice).toBeUndefined();
    const [pem, der] = files(dir, "ca.pem", "ca.der");

    rmSync(join(dir, "ca.pem"));
    const fromDer = await loadOrCreateIdentity(dir);
    expect(fromDer.notice).toBe(`${join(dir, "ca.pem")} was missing: written again from ca.der (the same CA)`);
    expect(files(dir, "ca.pem", "ca.der")).toEqual([pem, der]);
    expect(fromDer.caPem).toBe(first.caPem);

    rmSync(join(dir, "ca.pem"));
    rmSync(join(dir, "ca.der"));
    const fromKey = await loadOrCreateIdentity(dir);
    expect(fromKey.notice).toContain("ca.der were missing: the CA certificate was made again from ca-key.pem");
    const again = new X509Certificate(fromKey.caPem);
    const old = new X509Certificate(first.caPem);
    expect(again.subject).toBe(old.subject);
    expect(again.publicKey.export({ type: "spki", format: "der" })).toEqual(old.publicKey.export({ type: "spki", format: "der" }));
    // The leaf was kept, and a client holding the old CA file still verifies the server.
    const endpoint = await startEndpoint({ dataDir: dir, devices: [] });
    onTestFinished(() => endpoint.close());
    await handshake(endpoint.port, "127.0.0.1", first.caPem);
    expect(endpoint.caNotice).toBeUndefined();
    await endpoint.close();

    rmSync(join(dir, "ca-key.pem"));
    const fresh = await loadOrCreateIdentity(dir);
    expect(fresh.notice).toMatch(/ca-key\.pem was missing: a NEW CA was made\. Clients that trusted the old ca\.pem, and firmware built with the old ca\.der, no longer verify/);
    expect(new X509Certificate(fresh.caPem).publicKey.export({ type: "spki", format: "der" })).not.toEqual(
      old.publicKey.export({ type: "spki", format: "der" }),
    );
    const renewed = await startEndpoint({ dataDir: dir, devices: [] });
    onTestFinished(() => renewed.close());
    await expect(handshake(renewed.port, "127.0.0.1", first.caPem)).rejects.toMatchObject({ code: "SELF_SIGNED_CERT_IN_CHAIN" });
    await handshake(renewed.port, "127.0.0.1", fresh.caPem);
  });

  it("names extra IPv4, IPv6 and DNS names in the leaf, and clients that dial them verify it", async () => {
    const names = ["192.168.1.20", "devbox.lan", "FD00:0::20", "DevBox.Local."];
    const { endpoint, dataDir } = await start({ names });
    expect(endpoint.names).toEqual(["127.0.0.1", "localhost", "192.168.1.20", "devbox.lan", "fd00::20", "devbox.local"]);
    const leaf = new X509Certificate(readFileSync(join(dataDir, "leaf.pem")));
    expect(leaf.subjectAltName).toBe(
      "IP Address:127.0.0.1, DNS:localhost, IP Address:192.168.1.20, DNS:devbox.lan, IP Address:FD00:0:0:0:0:0:0:20, DNS:devbox.local",
    );

    // SNI and Node's default host check with an extra DNS name, verification against ca.pem.
    const peer = await handshake(endpoint.port, "devbox.lan", endpoint.caPem);
    expect(peer.subjectaltname).toBe(leaf.subjectAltName);
    await handshake(endpoint.port, "devbox.local", endpoint.caPem);
    await handshake(endpoint.port, "localhost", endpoint.caPem);
    await handshakeAsIp(endpoint.port, "192.168.1.20", endpoint.caPem);
    await handshakeAsIp(endpoint.port, "fd00::20", endpoint.caPem);
    // Names it does not carry are still refused.
    await expect(handshake(endpoint.port, "other.lan", endpoint.caPem)).rejects.toMatchObject({
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
    await expect(handshakeAsIp(endpoint.port, "192.168.1.21", endpoint.caPem)).rejects.toMatchObject({
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });

  it("re-issues the leaf from the same CA when the names change, and only then", async () => {
    const dir = await seededDir();
    const ca = files(dir, "ca.pem", "ca.der", "ca-key.pem");
    const plain = await loadOrCreateIdentity(dir);
    expect(plain.names).toEqual(["127.0.0.1", "localhost"]);

    const lan = await loadOrCreateIdentity(dir, ["192.168.1.20", "devbox.lan"]);
    expect(lan.names).toEqual(["127.0.0.1", "localhost", "192.168.1.20", "devbox.lan"]);
    expect(lan.cert).not.toBe(plain.cert);
    expect(lan.key).not.toBe(plain.key);
    // The CA files are untouched: clients keep trusting ca.pem / ca.der.
    expect(files(dir, "ca.pem", "ca.der", "ca-key.pem")).toEqual(ca);
    expect(lan.caPem).toBe(plain.caPem);
    const caCert = new X509Certificate(plain.caPem);
    expect(new X509Certificate(lan.cert).verify(caCert.publicKey)).toBe(true);

    // The same set again (another order, spelling or with the defaults repeated): kept as is.
    expect(await loadOrCreateIdentity(dir, ["DevBox.Lan", "localhost", "192.168.1.20"])).toEqual(lan);
    // No names asked for (the simulator's own endpoint, the fault campaign): the leaf is kept.
    expect(await loadOrCreateIdentity(dir)).toEqual(lan);

    // A different set, then none: re-issued each time, always from the same CA.
    const other = await loadOrCreateIdentity(dir, ["192.168.1.21"]);
    expect(other.names).toEqual(["127.0.0.1", "localhost", "192.168.1.21"]);
    expect(other.cert).not.toBe(lan.cert);
    const back = await loadOrCreateIdentity(dir, []);
    expect(back.names).toEqual(["127.0.0.1", "localhost"]);
    expect(back.cert).not.toBe(other.cert);
    expect(new X509Certificate(back.cert).subjectAltName).toBe("IP Address:127.0.0.1, DNS:localhost");
    for (const identity of [other, back]) expect(new X509Certificate(identity.cert).verify(caCert.publicKey)).toBe(true);
    expect(files(dir, "ca.pem", "ca.der", "ca-key.pem")).toEqual(ca);

    // A leaf whose key file is not its own (a run stopped between the two writes) is re-issued.
    writeFileSync(join(dir, "leaf-key.pem"), other.key);
    const repaired = await loadOrCreateIdentity(dir, []);
    expect(repaired.cert).not.toBe(back.cert);
    expect(repaired.key).not.toBe(other.key);
    expect(repaired.caPem).toBe(plain.caPem);
  });

  it("refuses a bad name with a message that names it, before touching the data dir", async () => {
    const dataDir = join(tempDir(), "not-created");
    const bad: Array<[string, RegExp]> = [
      ["foo_bar", /"foo_bar".*DNS label "foo_bar"/],
      ["192.168.1", /"192\.168\.1".*not a valid IPv4 address/],
      ["0.0.0.0", /"0\.0\.0\.0".*every address/],
      ["fe80::1%eth0", /"fe80::1%eth0".*zone/],
      ["devbox.lan:8443", /"devbox\.lan:8443".*without a port/],
      ["*.lan", /"\*\.lan".*wildcards/],
      ["", /"".*empty/],
    ];
    for (const [name, message] of bad) {
      await expect(startEndpoint({ dataDir, devices: [], names: ["devbox.lan", name] }), name).rejects.toThrow(message);
    }
    expect(existsSync(dataDir)).toBe(false);
    await expect(loadOrCreateIdentity(tempDir(), ["a..b"])).rejects.toMatchObject({
      name: "LeafNameError",
      entry: "a..b",
      message: expect.stringContaining('certificate name "a..b" is not usable'),
    });
  });
});
