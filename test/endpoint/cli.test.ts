// The tago-local command line, run as a child process: help, usage errors (exit 2, never a token
// whole), a real run that serves requests, logs them without the token and stops cleanly on
// SIGTERM, and the curl line it prints, run as printed.

import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { X509Certificate, randomUUID } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { seededDir } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "host-sim/endpoint/cli.ts");

function launch(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return child;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = launch(args);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** Resolves with stdout so far once it matches `pattern`. */
function waitFor(child: ChildProcessWithoutNullStreams, output: { text: string }, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pattern.test(output.text)) {
        child.stdout.off("data", check);
        resolve(output.text);
      }
    };
    child.stdout.on("data", check);
    child.on("close", (code) => reject(new Error(`exited ${code} before printing ${pattern}: ${output.text}`)));
    check();
  });
}

/** Runs a printed command line as a user would paste it; resolves with its stdout. */
function shell(line: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("sh", ["-c", line], (error, stdout, stderr) => (error ? reject(new Error(`${line}: ${stderr}`)) : resolve(stdout))),
  );
}

function postData(url: string, ca: Buffer, token: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/data`, {
      method: "POST",
      agent: new Agent({ ca }),
      headers: { "Device-Token": token, "Content-Type": "application/json" },
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("tago-local command line", () => {
  it("--help explains every option and exits 0", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    for (const option of ["--port", "--listen <address>", "--name <ip-or-dns>", "--token", "--data-dir", "--plan", "--param", "--deactivated", "--data-limit <records>", "--retention <days>", "--quiet", "--help"]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('default: "127.0.0.1"');
    expect(stdout).toContain("default: 8443");
    expect(stdout).toContain('default: ".tago-local"');
  });

  it("answers usage errors with a clear message and exit code 2", async () => {
    const cases: Array<[string[], string]> = [
      [["--bogus"], "unknown option"],
      [["--port", "70000"], "--port"],
      [["--token", "not-a-uuid"], "--token"],
      [["--param", "novalue"], "--param"],
      [["--name", "devbox.lan", "--name", "foo_bar"], `argument 'foo_bar' is invalid. DNS label "foo_bar"`],
      [["--listen", "bad_host"], "--listen"],
      [["--data-limit", "0"], "--data-limit <records>' argument '0' is invalid. must be a whole number of records from 1"],
      [["--retention", "1.5d"], "--retention <days>' argument '1.5d' is invalid. must be whole days from 1"],
      [["--data-limit", "10", "--retention", "1d"], "--data-limit (a mutable device) and --retention (an immutable device) cannot go together"],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach(({ code, stderr }, i) => {
      expect(code, cases[i][0].join(" ")).toBe(2);
      expect(stderr).toMatch(/^error: /);
      expect(stderr).toContain(cases[i][1]);
    });
  });

  it("never prints a refused token whole: a UUID-shaped one redacted, any other not at all (its length only)", async () => {
    const secret = "my-secret-device-key-0123456789";
    const uuid = randomUUID();
    const cases: Array<[string[], string, string]> = [
      [["--token", secret], secret, `--token <uuid>': token: not a TagoIO device token`],
      [[`--token=${secret}`], secret, `got ${secret.length} characters`],
      [["--token", uuid, "-t", secret], secret, `got ${secret.length} characters`],
      [[`--tokne=${uuid}`], uuid, `unknown option '--tokne=****${uuid.slice(-4)}'`],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach(({ code, stdout, stderr }, i) => {
      const [args, hidden, expected] = cases[i];
      expect(stderr + stdout, args.join(" ")).not.toContain(hidden);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^error: /);
      expect(stderr).toContain(expected);
    });
  });

  it("serves requests, logs one line each without the token, and stops cleanly on SIGTERM", async () => {
    const dataDir = await seededDir();
    const token = randomUUID();
    const child = launch(["--port", "0", "--listen", "127.0.0.1", "--token", token, "--data-dir", dataDir, "--param", "interval=60"]);
    const output = { text: "" };
    child.stdout.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
    const banner = await waitFor(child, output, /rate limits:.*\n/);

    const url = /listening at (https:\/\/\S+)/.exec(banner)?.[1] ?? "";
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(banner.split("\n")[1]).toBe(`  dashboard:     ${url}/ (this machine only; a browser must trust the CA or be told to go on)`);
    expect(banner).toContain(join(dataDir, "ca.pem"));
    expect(banner).toContain(join(dataDir, "ca.der"));
    expect(banner).toContain(`  device token:  ****${token.slice(-4)}\n`);
    expect(banner).not.toContain(token);
    expect(banner).toContain("  cert names:    127.0.0.1, localhost\n");
    expect(banner).not.toContain("on the LAN");

    const ca = readFileSync(join(dataDir, "ca.pem"));
    expect(await postData(url, ca, token, [{ variable: "a", value: 1 }, { variable: "b", value: 2 }])).toBe(200);
    expect(await postData(url, ca, randomUUID(), { variable: "a", value: 1 })).toBe(401);
    const log = await waitFor(child, output, /POST \/data 401/);
    const lines = log.slice(banner.length).trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^\S+Z POST \/data 200 records=2$/),
      expect.stringMatching(/^\S+Z POST \/data 401$/),
    ]);
    expect(log).not.toContain(token);

    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
  });

  it("makes up a token when none is given, keeps it in the data dir, prints it redacted, names the certificate's names, and logs nothing with --quiet", async () => {
    const dataDir = await seededDir();
    const caBefore = readFileSync(join(dataDir, "ca.pem"), "utf8");
    const child = launch(["--port", "0", "--data-dir", dataDir, "--quiet", "--listen", "127.0.0.1", "--name", "DevBox.lan", "--name", "192.168.1.20"]);
    const output = { text: "" };
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const banner = await waitFor(child, output, /rate limits:.*\n/);
    // The leaf was re-issued for the new names from the CA the client already trusts.
    expect(banner).toContain("  cert names:    127.0.0.1, localhost, devbox.lan, 192.168.1.20\n");
    expect(readFileSync(join(dataDir, "ca.pem"), "utf8")).toBe(caBefore);
    expect(new X509Certificate(readFileSync(join(dataDir, "leaf.pem"))).subjectAltName).toBe(
      "IP Address:127.0.0.1, DNS:localhost, DNS:devbox.lan, IP Address:192.168.1.20",
    );
    const tokenFile = join(dataDir, "device-token");
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(banner).toContain(`  device token:  ****${token.slice(-4)} (whole in ${tokenFile})\n`);
    expect(banner).not.toContain(token);
    const url = /listening at (https:\/\/\S+)/.exec(banner)?.[1] ?? "";
    expect(await postData(url, readFileSync(join(dataDir, "ca.pem")), token, { variable: "a", value: 1 })).toBe(200);

    child.kill("SIGINT");
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
    expect(output.text).toBe(banner);
    // Names for the LAN while listening on loopback only: a hint, no warning.
    expect(stderr).toMatch(/^note: listening on 127\.0\.0\.1 only; add --listen 0\.0\.0\.0/);
    expect(stderr).not.toContain("warning");
  });

  it("--deactivated answers as TagoCore does until the printed curl line activates the device", async () => {
    const dataDir = await seededDir();
    const child = launch(["--port", "0", "--data-dir", dataDir, "--deactivated", "--retention", "1d"]);
    const output = { text: "" };
    child.stdout.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
    const banner = await waitFor(child, output, /deactivated:.*\n/);
    expect(banner).toContain("  device:        immutable, keeping 1 day back and up to tomorrow\n");
    const token = readFileSync(join(dataDir, "device-token"), "utf8").trim();
    expect(banner).not.toContain(token);
    const url = /listening at (https:\/\/\S+)/.exec(banner)?.[1] ?? "";
    const ca = readFileSync(join(dataDir, "ca.pem"));
    expect(await postData(url, ca, token, { variable: "a", value: 1 })).toBe(400);

    const line = /^ {2}deactivated: +every request is answered 400 "Device is deactivated"; activate it with (curl .*)$/m.exec(banner)?.[1] ?? "";
    expect(line).toBe(`curl -s --cacert ${join(dataDir, "ca.pem")} -H @${join(dataDir, "curl-headers.txt")} -X PUT -d '{"active":true}' '${url}/_local/device'`);
    expect(JSON.parse(await shell(line))).toEqual({ status: true, result: "Device activated" });
    expect(await postData(url, ca, token, { variable: "a", value: 1 })).toBe(200);
    // The retention window holds: a time from last year is refused.
    expect(await postData(url, ca, token, { variable: "a", value: 1, time: "2025-01-01T00:00:00Z" })).toBe(400);
    const log = await waitFor(child, output, /POST \/data 400\n(.*\n)*.*POST \/data 400\n/);
    expect(log.slice(banner.length).match(/^\S+Z \S+ \S+ \d+.*$/gm)).toEqual([
      expect.stringMatching(/ POST \/data 400$/),
      expect.stringMatching(/ PUT \/_local\/device 200$/),
      expect.stringMatching(/ POST \/data 200 records=1$/),
      expect.stringMatching(/ POST \/data 400$/),
    ]);
  });

  it("says loudly what it made again when CA files were deleted", async () => {
    const dataDir = await seededDir();
    rmSync(join(dataDir, "ca.pem"));
    const child = launch(["--port", "0", "--data-dir", dataDir, "--quiet"]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const output = { text: "" };
    child.stdout.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
    await waitFor(child, output, /rate limits:.*\n/);
    expect(stderr).toContain(`WARNING: ${join(dataDir, "ca.pem")} was missing: written again from ca.der (the same CA)`);
  });

  it("prints a ready curl line for the local device's data, its token only in an owner-only header file", async () => {
    const dataDir = await seededDir();
    const child = launch(["--port", "0", "--data-dir", dataDir, "--quiet"]);
    const output = { text: "" };
    child.stdout.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
    const banner = await waitFor(child, output, /rate limits:.*\n/);
    const token = readFileSync(join(dataDir, "device-token"), "utf8").trim();
    const url = /listening at (https:\/\/\S+)/.exec(banner)?.[1] ?? "";
    expect(await postData(url, readFileSync(join(dataDir, "ca.pem")), token, { variable: "seen_by_curl", value: 7 })).toBe(200);

    const line = /^ {2}its data: +(curl .*)$/m.exec(banner)?.[1] ?? "";
    const headers = join(dataDir, "curl-headers.txt");
    expect(line).toBe(`curl -s --cacert ${join(dataDir, "ca.pem")} -H @${headers} '${url}/data?qty=15'`);
    expect(statSync(headers).mode & 0o777).toBe(0o600);
    expect(banner).not.toContain(token);
    const answer = JSON.parse(await shell(line));
    expect(answer).toMatchObject({ status: true, result: [{ variable: "seen_by_curl", value: 7 }] });
  });

  it("with several --token, points the curl line at the first device and says how to read another's", async () => {
    const dataDir = await seededDir();
    const [first, second] = [randomUUID(), randomUUID()];
    const child = launch(["--port", "0", "--data-dir", dataDir, "--quiet", "--token", first, "--token", second]);
    const output = { text: "" };
    child.stdout.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
    const banner = await waitFor(child, output, /rate limits:.*\n/);
    const url = /listening at (https:\/\/\S+)/.exec(banner)?.[1] ?? "";
    const ca = readFileSync(join(dataDir, "ca.pem"));
    expect(await postData(url, ca, first, { variable: "first", value: 1 })).toBe(200);
    expect(await postData(url, ca, second, { variable: "second", value: 2 })).toBe(200);

    const headers = join(dataDir, "curl-headers.txt");
    const line = /^ {2}its data: +(curl .*')(.*)$/m.exec(banner);
    expect(line?.[2]).toBe(` (for the first --token; for another device, put its token in ${headers})`);
    const answer = JSON.parse(await shell(line?.[1] ?? ""));
    expect(answer.result.map((r: { variable: string }) => r.variable)).toEqual(["first"]);
    expect(banner).not.toContain(first);
    expect(banner).not.toContain(second);
  });
});
