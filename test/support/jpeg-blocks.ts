// A tiny baseline JPEG writer for test pictures made of flat 8x8 blocks, in any colour model a JPEG can hold: grey
// (1 component), RGB or YCbCr (3), CMYK with or without Adobe's marker (4). imagescript (and every encoder latchkey's
// dependencies carry) writes only YCbCr; grey and CMYK JPEGs are what phones' scanners, print shops and Photoshop
// hand in. A flat block has a DC coefficient only, so the writer needs no DCT: with a quantisation step of 8, the DC
// value is the sample minus 128 exactly, and a decoder gives the sample back exactly (no loss to allow for).

export interface BlockJpegOptions {
  width: number;
  height: number;
  /** Samples per pixel (1, 3 or 4), in the file's own terms (e.g. already inverted for Adobe CMYK). */
  components: 1 | 3 | 4;
  /** The sample values of the pixel at (x, y); constant over each 8x8 block (its top-left pixel is read). */
  samples: (x: number, y: number) => number[];
  /** Adobe's APP14 marker with this colour transform (0: none, i.e. RGB or CMYK as stored; 1: YCbCr); none if absent. */
  adobeTransform?: 0 | 1;
}

export function blockJpeg(options: BlockJpegOptions): Uint8Array {
  const { width, height, components } = options;
  const parts: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => parts.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  if (options.adobeTransform !== undefined) {
    segment(0xee, [...Buffer.from("Adobe", "latin1"), 0, 100, 0, 0, 0, 0, options.adobeTransform]);
  }
  segment(0xdb, [0, ...new Array(64).fill(8)]); // one quantisation table, every step 8
  const frame: number[] = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, components];
  for (let id = 1; id <= components; id++) frame.push(id, 0x11, 0); // no subsampling, table 0
  segment(0xc0, frame);
  // DC table: categories 0-11, each a 4-bit code (its number); AC table: only end-of-block, code "0".
  segment(0xc4, [0x00, 0, 0, 0, 12, ...new Array(12).fill(0), ...Array.from({ length: 12 }, (_, index) => index)]);
  segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]);
  const scan: number[] = [components];
  for (let id = 1; id <= components; id++) scan.push(id, 0x00);
  segment(0xda, [...scan, 0, 63, 0]);

  const bits = new BitWriter();
  const previous = new Array<number>(components).fill(0);
  for (let blockY = 0; blockY < Math.ceil(height / 8); blockY++) {
    for (let blockX = 0; blockX < Math.ceil(width / 8); blockX++) {
      const values = options.samples(Math.min(blockX * 8, width - 1), Math.min(blockY * 8, height - 1));
      for (let component = 0; component < components; component++) {
        const dc = values[component]! - 128;
        const difference = dc - previous[component]!;
        previous[component] = dc;
        const category = difference === 0 ? 0 : Math.floor(Math.log2(Math.abs(difference))) + 1;
        bits.write(category, 4);
        if (category > 0) bits.write(difference > 0 ? difference : difference + (1 << category) - 1, category);
        bits.write(0, 1); // end of block
      }
    }
  }
  parts.push(...bits.finish(), 0xff, 0xd9);
  return new Uint8Array(parts);
}

class BitWriter {
  private bytes: number[] = [];
  private current = 0;
  private count = 0;

  write(value: number, length: number): void {
    for (let bit = length - 1; bit >= 0; bit--) {
      this.current = (this.current << 1) | ((value >> bit) & 1);
      if (++this.count === 8) this.flush();
    }
  }

  finish(): number[] {
    while (this.count !== 0) this.write(1, 1); // pad with ones
    return this.bytes;
  }

  private flush(): void {
    this.bytes.push(this.current);
    if (this.current === 0xff) this.bytes.push(0x00); // byte stuffing
    this.current = 0;
    this.count = 0;
  }
}
