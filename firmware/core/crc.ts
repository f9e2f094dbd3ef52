// CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320, as zlib and PNG compute it) in portable
// integer arithmetic, four bytes a step ("slicing by 4").
// The tables are built when the module loads, not at the first CRC: on the device the module is
// preloaded, so they are built at build time and kept in flash, where a table built at run time
// would be built again at every boot, and every sleep-mode wake is a boot (about 50,000 XS
// computrons a wake). They are only ever read.

// Tk[n]: the CRC register after byte n and then k zero bytes (T0: the one-byte table).
const [T0, T1, T2, T3] = build();

function build(): Uint32Array[] {
  const tables = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  const [t0] = tables;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n];
    for (let k = 1; k < 4; k++) {
      c = t0[c & 0xff] ^ (c >>> 8);
      tables[k][n] = c;
    }
  }
  return tables;
}

/** CRC-32 of `bytes[start..end)`, as an unsigned 32-bit number; after `prior`, the CRC of the bytes before them (0: none). */
export function crc32(bytes: Uint8Array, start: number, end: number, prior = 0): number {
  let c = (prior ^ 0xffffffff) >>> 0;
  let i = start;
  // A little-endian word a step: one native read and four lookups cost a third fewer XS
  // computrons than four one-byte steps.
  const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (const fours = end - ((end - start) & 3); i < fours; i += 4) {
    c ^= words.getUint32(i, true);
    c = T3[c & 0xff] ^ T2[(c >>> 8) & 0xff] ^ T1[(c >>> 16) & 0xff] ^ T0[c >>> 24];
  }
  for (; i < end; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
