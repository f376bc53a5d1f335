// CRC-32 (IEEE 802.3, the zip and gzip checksum), fed piece by piece: restore checks every entry of an archive with it.

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** A running CRC-32: update() with each piece in order, then value(). */
export interface Crc32 {
  update(bytes: Uint8Array): void;
  value(): number;
}

export function crc32(): Crc32 {
  let crc = 0xffffffff;
  return {
    update(bytes) {
      let c = crc;
      for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
      crc = c;
    },
    value: () => (crc ^ 0xffffffff) >>> 0,
  };
}
