// Stands in for the SDK's typings/mc/ffi.d.ts (8.2.3), which @moddable/typings 5.6.0 lacks: what
// a build without an `ffi` section sees of mc/ffi, an object of untyped functions.

declare module "mc/ffi" {
  interface NativeFunctions {
    [name: string]: (...args: any[]) => any;
  }
  const FFI: { new (): NativeFunctions };
  export default FFI;
}
