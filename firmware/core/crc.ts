// CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320, as zlib and PNG compute it) in portable
// integer arithmetic. The 1 KB table is built on first use.

let table: Uint32Array | undefined;

function build(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC-32 of `bytes[start..end)`, as an unsigned 32-bit number; after `prior`, the CRC of the bytes before them (0: none). */
export function crc32(bytes: Uint8Array, start: number, end: number, prior = 0): number {
  const t = table ?? (table = build());
  let c = (prior ^ 0xffffffff) >>> 0;
  let i = start;
  // Four bytes a turn: the loop's own bytecodes are a fifth of the work on XS.
  for (const fours = end - ((end - start) & 3); i < fours; i += 4) {
    c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    c = t[(c ^ bytes[i + 1]) & 0xff] ^ (c >>> 8);
    c = t[(c ^ bytes[i + 2]) & 0xff] ^ (c >>> 8);
    c = t[(c ^ bytes[i + 3]) & 0xff] ^ (c >>> 8);
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
