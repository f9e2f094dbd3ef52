// The TLS settings of every HTTPS request. Verification is on unless the configuration turns it
// off, against the trust anchors the build carries: the caNNN.der resources chosen in
// manifests/tls.json (the SDK finds them itself, by the Authority Key Identifier of the top
// certificate the server sends) plus, optionally, one more CA named by the `customCa` setting
// (for example the local endpoint's ca.der). TLS 1.2 is the minimum (the SDK has no 1.3).
// Policy when failing: a custom CA that is not in the build is a configuration problem; the
// agent does not start rather than connect with a trust store the user did not ask for.

/** The `Resource` module (typings/Resource.d.ts): a read-only buffer of a resource in flash. */
export interface ResourceModule {
  new (path: string): object;
  exists(path: string): boolean;
}

/** The `secure` dictionary SecureSocket takes (not in typings/http.d.ts). */
export interface SecureOptions {
  verify: boolean;
  protocolVersion: number;
  certificate?: object;
}

export const TLS_1_2 = 0x0303;

export type TrustResult = { ok: true; secure: SecureOptions } | { ok: false; problem: string };

export function trustSettings(verifyTls: boolean, customCa: string | undefined, Resource: ResourceModule): TrustResult {
  const secure: SecureOptions = { verify: verifyTls, protocolVersion: TLS_1_2 };
  if (customCa === undefined) return { ok: true, secure };
  if (!Resource.exists(customCa)) {
    return {
      ok: false,
      problem: `customCa: no resource named "${customCa}" in this build (list the DER file under "resources" in the manifest)`,
    };
  }
  secure.certificate = new Resource(customCa);
  return { ok: true, secure };
}
