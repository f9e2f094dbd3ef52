// Byte views handed to Moddable modules that take an ArrayBuffer (the flash module, the http
// module's body): those read the whole buffer, so a view must cover exactly its own buffer.

/** The view's ArrayBuffer when the view covers all of it, otherwise a copy of just its bytes. */
export function ownBuffer(view: Uint8Array): ArrayBuffer {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength) return buffer;
  const copy = new ArrayBuffer(view.byteLength);
  new Uint8Array(copy).set(view);
  return copy;
}
