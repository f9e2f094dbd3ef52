// The endpoint's TLS identity: a local CA and a leaf signed by it for 127.0.0.1, localhost and any
// extra names (names.ts), both RSA 2048 with SHA-256 so the Moddable TLS stack can use them. Made
// on first run, reused after (keys as PKCS#8 PEM in the data dir). A missing, expired or foreign
// leaf, or one for another set of names, is re-issued from the same CA, so clients that already
// trust ca.pem keep working; the CA itself is only ever replaced when its own files are gone.
// The CA carries an Authority Key Identifier: the Moddable SDK's TLS stack reads it from the CA
// certificate the server sends and throws without it. A CA made before that is signed again with
// its own key (same subject, same key, so every copy of the old ca.pem or ca.der still matches).
// Lost CA files are made again from what is left (ca.pem from ca.der, or the certificate from the
// key); only a lost key makes a new CA, which breaks whatever trusted the old one: the identity
// then carries a notice saying so, for the command lines to print.

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPublicKey, webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_NAMES, type LeafName, leafNameKey, leafNames, parseLeafName, sameNames } from "./names.js";

x509.cryptoProvider.set(webcrypto);

const DAY_MS = 86_400_000;
const CA_YEARS = 10;
const LEAF_YEARS = 5;
const RSA: webcrypto.RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const CA_NAME = "CN=TagoIO local endpoint CA, O=tagoio-device-agent";
const LEAF_NAME = "CN=localhost, O=tagoio-device-agent";

export interface TlsIdentity {
  caPem: string;
  caPemPath: string;
  caDerPath: string;
  /** The leaf's private key, PKCS#8 PEM. */
  key: string;
  /** The chain the server sends: leaf then CA. */
  cert: string;
  /** What the leaf's subjectAltName covers: 127.0.0.1, localhost, then the extra names. */
  names: string[];
  /** Set when CA files were missing: what was made again, and what that breaks. */
  notice?: string;
}

interface Files {
  caPem: string;
  caDer: string;
  caKey: string;
  leafPem: string;
  leafKey: string;
}

function files(dataDir: string): Files {
  return {
    caPem: join(dataDir, "ca.pem"),
    caDer: join(dataDir, "ca.der"),
    caKey: join(dataDir, "ca-key.pem"),
    leafPem: join(dataDir, "leaf.pem"),
    leafKey: join(dataDir, "leaf-key.pem"),
  };
}

function yearsFromNow(years: number): Date {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

/** A self-signed CA over `keys`, named `name`; written as ca.pem and ca.der. */
async function signCa(f: Files, name: string, keys: webcrypto.CryptoKeyPair): Promise<x509.X509Certificate> {
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: RSA,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: yearsFromNow(CA_YEARS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeFileSync(f.caPem, ca.toString("pem") + "\n");
  writeFileSync(f.caDer, Buffer.from(ca.rawData));
  return ca;
}

async function createCa(f: Files): Promise<x509.X509Certificate> {
  const keys = await generateKeys();
  writeSecret(f.caKey, await privateKeyPem(keys.privateKey));
  return signCa(f, CA_NAME, keys);
}

async function importCaKey(f: Files): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(readFileSync(f.caKey, "utf8")), RSA, false, ["sign"]);
}

/** The CA's key pair from ca-key.pem alone. */
async function caKeys(f: Files): Promise<webcrypto.CryptoKeyPair> {
  const spki = createPublicKey(readFileSync(f.caKey, "utf8")).export({ type: "spki", format: "der" });
  return { publicKey: await webcrypto.subtle.importKey("spki", spki, RSA, true, ["verify"]), privateKey: await importCaKey(f) };
}

/** The CA as the files left give it: `notice` says what had to be made again. */
async function loadCa(f: Files): Promise<{ ca: x509.X509Certificate; notice?: string }> {
  if (!existsSync(f.caKey)) {
    const lost = existsSync(f.caPem) || existsSync(f.caDer);
    const ca = await createCa(f);
    if (!lost) return { ca };
    const notice =
      `${f.caKey} was missing: a NEW CA was made. Clients that trusted the old ca.pem, and firmware built with the old ca.der, ` +
      `no longer verify this server: trust the new ${f.caPem} and rebuild the firmware (its manifest bundles ca.der)`;
    return { ca, notice };
  }
  if (existsSync(f.caPem)) return { ca: new x509.X509Certificate(readFileSync(f.caPem, "utf8")) };
  if (existsSync(f.caDer)) {
    const ca = new x509.X509Certificate(readFileSync(f.caDer));
    writeFileSync(f.caPem, ca.toString("pem") + "\n");
    return { ca, notice: `${f.caPem} was missing: written again from ca.der (the same CA)` };
  }
  const ca = await signCa(f, CA_NAME, await caKeys(f));
  const notice = `${f.caPem} and ca.der were missing: the CA certificate was made again from ca-key.pem (same key and name: what trusted the old one still does)`;
  return { ca, notice };
}

async function createLeaf(f: Files, ca: x509.X509Certificate, names: readonly LeafName[]): Promise<void> {
  const caKey = await importCaKey(f);
  const keys = await generateKeys();
  const leaf = await x509.X509CertificateGenerator.create({
    subject: LEAF_NAME,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: RSA,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: yearsFromNow(LEAF_YEARS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: n.type, value: n.value }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  writeSecret(f.leafKey, await privateKeyPem(keys.privateKey));
  writeFileSync(f.leafPem, leaf.toString("pem") + "\n");
}

/** The names in a leaf's subjectAltName; undefined when it has none we understand. */
function namesOf(leaf: x509.X509Certificate): LeafName[] | undefined {
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  if (san === null) return undefined;
  const names: LeafName[] = [];
  for (const n of san.names.items) {
    if (n.type !== "ip" && n.type !== "dns") return undefined;
    names.push(parseLeafName(n.value));
  }
  return names;
}

/** The existing leaf's names when it can be kept, undefined when it must be re-issued. */
async function usableLeaf(
  f: Files,
  ca: x509.X509Certificate,
  wanted: readonly LeafName[] | undefined,
): Promise<LeafName[] | undefined> {
  if (!existsSync(f.leafPem) || !existsSync(f.leafKey)) return undefined;
  try {
    const leaf = new x509.X509Certificate(readFileSync(f.leafPem, "utf8"));
    // Signed by this CA (an old leaf from a replaced CA fails here) and valid today.
    if (!(await leaf.verify({ publicKey: ca.publicKey, date: new Date() }))) return undefined;
    const names = namesOf(leaf);
    if (names === undefined) return undefined;
    // The key file belongs to this leaf (a run stopped between writing the two would leave a pair
    // TLS refuses).
    const spki = createPublicKey(readFileSync(f.leafKey, "utf8")).export({ type: "spki", format: "der" });
    if (!spki.equals(Buffer.from(leaf.publicKey.rawData))) return undefined;
    if (wanted !== undefined) return sameNames(names, wanted) ? names : undefined;
    // No names asked for: keep any leaf that still covers the defaults.
    const has = new Set(names.map(leafNameKey));
    return DEFAULT_NAMES.every((d) => has.has(leafNameKey(d))) ? names : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CA and leaf in `dataDir` (which must exist), created or re-issued as needed. `names` are the
 * leaf's extra names (validated; a LeafNameError names a bad entry): a leaf for any other set is
 * re-issued from the same CA. Without `names` the current leaf is kept whatever extra names it
 * has, and a new one covers only 127.0.0.1 and localhost.
 */
export async function loadOrCreateIdentity(dataDir: string, names?: readonly string[]): Promise<TlsIdentity> {
  // Its own folder may not exist yet (firmware:sim keeps the identity apart from the data).
  mkdirSync(dataDir, { recursive: true });
  const wanted = names === undefined ? undefined : leafNames(names);
  const f = files(dataDir);
  const { notice, ...loaded } = await loadCa(f);
  let ca = loaded.ca;
  // Signed again with the same key and subject, now with an Authority Key Identifier.
  if (ca.getExtension(x509.AuthorityKeyIdentifierExtension) === null) ca = await signCa(f, ca.subject, await caKeys(f));
  else if (!existsSync(f.caDer)) writeFileSync(f.caDer, Buffer.from(ca.rawData));
  let current = await usableLeaf(f, ca, wanted);
  if (current === undefined) {
    current = wanted ?? [...DEFAULT_NAMES];
    await createLeaf(f, ca, current);
  }
  const caPem = readFileSync(f.caPem, "utf8");
  return {
    caPem,
    caPemPath: f.caPem,
    caDerPath: f.caDer,
    key: readFileSync(f.leafKey, "utf8"),
    cert: readFileSync(f.leafPem, "utf8") + caPem,
    names: current.map((n) => n.value),
    ...(notice === undefined ? {} : { notice }),
  };
}
