// What mcconfig generates as the typing of `mc/ffi` from the `ffi.functions` of
// manifests/device/manifest.json (the SDK's tools/ffi.js: uint64_t is a bigint, int32_t and
// uint32_t are numbers). SDK builds use the generated one; this copy serves the type checks
// without an SDK (firmware/tsconfig.json, the per-module compile test), and a test checks that
// it says what the manifest does.

declare module "mc/ffi" {
  export default class FFI {
    constructor();
    esp_sleep_enable_timer_wakeup(arg0: bigint): number;
    esp_sleep_get_wakeup_cause(): number;
    esp_wifi_stop(): number;
    esp_deep_sleep_start(): void;
  }
}
