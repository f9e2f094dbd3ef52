// Run in a child process by sdk.test.ts, with NODE_EXTRA_CA_CERTS naming the endpoint's CA (Node
// reads it only at start): drives the official @tago-io/sdk Device against TAGO_URL with
// TAGO_TOKEN, TLS verification on, and prints what each call returned as one JSON line.

// The SDK is CommonJS and defines its exports with getters Node's ESM loader cannot see as named
// exports, so `import { Device }` fails at run time; the default import is the whole module.
import sdk from "@tago-io/sdk";

const { Device } = sdk;

const url = process.env.TAGO_URL;
const token = process.env.TAGO_TOKEN;
if (url === undefined || token === undefined) throw new Error("TAGO_URL and TAGO_TOKEN are required");

const device = new Device({ token, region: { api: url, sse: url } });

/** The SDK throws the server's message (a string) for a 4xx; keep it as data. */
async function refusal(attempt: () => Promise<unknown>): Promise<unknown> {
  try {
    return { resolved: await attempt() };
  } catch (error) {
    return { rejected: error };
  }
}

const sent = await device.sendData([
  { variable: "temperature", value: 21.5, unit: "C", time: "2026-11-26T10:00:00.000Z", location: { lat: -23.5, lng: -46.6 } },
  { variable: "temperature", value: 22.5, unit: "C", time: "2026-11-26T10:01:00.000Z", group: "s2", metadata: { src: "sdk" } },
  { variable: "humidity", value: 40, time: new Date("2026-11-26T10:01:00.000Z") },
]);
const one = await device.sendData({ variable: "Status", value: "ok" });
const list = await device.getData({ variables: ["temperature", "humidity"], qty: 10, ordination: "ascending" });
const last = await device.getData({ variables: "temperature", query: "last_value" });
const count = await device.getData({ variables: ["temperature"], query: "count" });
const max = await device.getData({ variables: ["temperature"], query: "max" });
const ranged = await device.getData({
  variables: "temperature",
  start_date: new Date("2026-11-26T10:00:30Z"),
  end_date: new Date("2026-11-26T11:00:00Z"),
});
const info = await device.info();
const params = await device.getParameters("all");
const marked = await device.setParameterAsRead(params[0].id);
const unread = await device.getParameters("onlyUnRead");
const read = await device.getParameters("onlyRead");
const invalid = await refusal(() => device.sendData({ variable: "bad variable", value: 1 }));
const stranger = new Device({ token: "00000000-0000-4000-8000-000000000000", region: { api: url, sse: url } });
const denied = await refusal(() => stranger.info());

console.log(
  JSON.stringify({
    sent,
    one,
    list,
    last,
    count,
    max,
    ranged,
    info: { ...info, created_at_is_date: info.created_at instanceof Date },
    params,
    marked,
    unread,
    read,
    invalid,
    denied,
  }),
);
