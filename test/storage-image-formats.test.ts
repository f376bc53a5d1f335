// Every input kind a first transform to WebP meets (issue 29 item 3): grey JPEG, CMYK JPEG with Adobe's marker
// (inverted) and without it (plain ink), RGB and grey PNG, lossy and lossless WebP without transparency, and PNG and
// WebP with transparency. Each is made in the test with known colours per quadrant, transformed over HTTP to
// `?w=..&f=webp` (and PNG/JPEG where it matters), decoded, and checked for its size and its quadrants' colours.
// Which path makes a variant (Bun.Image or the JS pipeline) is not visible from outside; what each must get right is.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { decodeImage, encodeImage, near, opaquePng, pixel, type Decoded } from "./support/images.ts";
import { blockJpeg } from "./support/jpeg-blocks.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { download, newUser, upload, type TestUser } from "./support/storage.ts";

let server: TestServer;
let user: TestUser;
// 8x8-block aligned quadrants, so the block JPEGs are exact.
const WIDTH = 160;
const HEIGHT = 96;
const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];
const GREY = [128, 128, 128];

/** Which quadrant (x, y) is in: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. */
const quadrantOf = (x: number, y: number, width = WIDTH, height = HEIGHT) => (y >= height / 2 ? 2 : 0) + (x >= width / 2 ? 1 : 0);

/** Checks a transformed image's four quadrants (sampled away from the seams) against the colours given. */
function expectQuadrants(image: Decoded, colours: number[][], tolerance = 12): void {
  const { width, height } = image;
  const spots = [
    [width / 4, height / 4],
    [(3 * width) / 4, height / 4],
    [width / 4, (3 * height) / 4],
    [(3 * width) / 4, (3 * height) / 4],
  ].map(([x, y]) => [Math.floor(x!), Math.floor(y!)] as const);
  const seen = spots.map(([x, y]) => pixel(image, x, y).slice(0, 3));
  const fits = seen.every((colour, index) => near(colour, colours[index]!, tolerance));
  expect({ seen, fits }).toEqual({ seen, fits: true });
}

async function transformed(key: string, query: string): Promise<Decoded> {
  const got = await download(server.url, `/storage/o/${key}?${query}`);
  if (got.status !== 200) throw new Error(`${key}?${query}: ${got.status} ${Buffer.from(got.bytes).toString()}`);
  return decodeImage(got.bytes);
}

async function put(key: string, bytes: Uint8Array, type: string): Promise<void> {
  const res = await upload(server.url, key, bytes, { headers: user.auth, type });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  server = await startServer();
  user = await newUser(server.url);
});
afterAll(() => server.stop());

describe("grey JPEG", () => {
  const levels = [40, 200, 90, 255];
  test("comes out grey (equal red, green and blue) at the right levels, 800 px wide from a wider source", async () => {
    const jpeg = blockJpeg({ width: 1600, height: 960, components: 1, samples: (x, y) => [levels[quadrantOf(x, y, 1600, 960)]!] });
    await put("public/formats/grey.jpg", jpeg, "image/jpeg");
    const image = await transformed("public/formats/grey.jpg", "w=800&f=webp");
    expect([image.format, image.width, image.height]).toEqual(["webp", 800, 480]);
    expectQuadrants(image, levels.map((level) => [level, level, level]), 4);
  });

  test("to PNG and JPEG too", async () => {
    const jpeg = blockJpeg({ width: WIDTH, height: HEIGHT, components: 1, samples: (x, y) => [levels[quadrantOf(x, y)]!] });
    await put("public/formats/grey-small.jpg", jpeg, "image/jpeg");
    for (const to of ["png", "jpeg"] as const) {
      const image = await transformed("public/formats/grey-small.jpg", `w=80&f=${to}`);
      expect([image.format, image.width, image.height]).toEqual([to, 80, 48]);
      expectQuadrants(image, levels.map((level) => [level, level, level]), 4);
    }
  });
});

describe("CMYK JPEG", () => {
  // In ink (0: none, 255: full): red is magenta and yellow, blue cyan and magenta, grey half black, white no ink.
  const inks = [
    [0, 255, 255, 0],
    [0, 0, 0, 128],
    [255, 255, 0, 0],
    [0, 0, 0, 0],
  ];
  const colours = [RED, [127, 127, 127], BLUE, WHITE];

  const adobe = () =>
    blockJpeg({ width: WIDTH, height: HEIGHT, components: 4, adobeTransform: 0, samples: (x, y) => inks[quadrantOf(x, y)]!.map((ink) => 255 - ink) });
  const plain = () => blockJpeg({ width: WIDTH, height: HEIGHT, components: 4, samples: (x, y) => inks[quadrantOf(x, y)]! });

  test("with Adobe's marker (stored inverted, as Photoshop writes it): the right colours", async () => {
    await put("public/formats/cmyk-adobe.jpg", adobe(), "image/jpeg");
    const image = await transformed("public/formats/cmyk-adobe.jpg", "w=80&f=webp");
    expect([image.format, image.width, image.height]).toEqual(["webp", 80, 48]);
    expectQuadrants(image, colours);
  });

  test("without the marker (stored as plain ink): the right colours, not their negative", async () => {
    await put("public/formats/cmyk-plain.jpg", plain(), "image/jpeg");
    const image = await transformed("public/formats/cmyk-plain.jpg", "w=80&f=webp");
    expect([image.format, image.width, image.height]).toEqual(["webp", 80, 48]);
    expectQuadrants(image, colours);
  });

  test("cropped to cover and blurred, both kinds: the same colours", async () => {
    for (const [name, jpeg] of [["adobe", adobe()], ["plain", plain()]] as const) {
      await put(`public/formats/cmyk-${name}-crop.jpg`, jpeg, "image/jpeg");
      const image = await transformed(`public/formats/cmyk-${name}-crop.jpg`, "w=40&h=40&b=0.5&f=png");
      expect({ name, size: [image.width, image.height] }).toEqual({ name, size: [40, 40] });
      expectQuadrants(image, colours, 20);
    }
  });
});

describe("PNG and WebP without transparency", () => {
  const colours = [RED, GREEN, BLUE, WHITE];
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let index = 0; index < WIDTH * HEIGHT; index++) rgb.set(colours[quadrantOf(index % WIDTH, Math.floor(index / WIDTH))]!, index * 3);

  test("an RGB PNG", async () => {
    await put("public/formats/rgb.png", opaquePng("rgb", WIDTH, HEIGHT, rgb), "image/png");
    const image = await transformed("public/formats/rgb.png", "w=80&f=webp");
    expect([image.format, image.width, image.height]).toEqual(["webp", 80, 48]);
    expectQuadrants(image, colours);
    const same = await transformed("public/formats/rgb.png", "h=24");
    expect([same.format, same.width, same.height]).toEqual(["png", 40, 24]);
    expectQuadrants(same, colours, 2);
  });

  test("a grey PNG", async () => {
    const levels = [0, 100, 180, 255];
    const grey = new Uint8Array(WIDTH * HEIGHT);
    for (let index = 0; index < WIDTH * HEIGHT; index++) grey[index] = levels[quadrantOf(index % WIDTH, Math.floor(index / WIDTH))]!;
    await put("public/formats/grey.png", opaquePng("grey", WIDTH, HEIGHT, grey), "image/png");
    const image = await transformed("public/formats/grey.png", "w=80&f=jpeg");
    expect([image.format, image.width, image.height]).toEqual(["jpeg", 80, 48]);
    expectQuadrants(image, levels.map((level) => [level, level, level]), 4);
  });

  test("a lossy and a lossless WebP", async () => {
    const png = opaquePng("rgb", WIDTH, HEIGHT, rgb);
    const lossy = await new Bun.Image(png).webp({ quality: 90 }).bytes();
    const lossless = await new Bun.Image(png).webp({ lossless: true }).bytes();
    for (const [name, bytes] of [["lossy", lossy], ["lossless", lossless]] as const) {
      await put(`public/formats/${name}.webp`, bytes, "image/webp");
      const image = await transformed(`public/formats/${name}.webp`, "w=60");
      expect({ name, format: image.format, width: image.width, height: image.height }).toEqual({ name, format: "webp", width: 60, height: 36 });
      expectQuadrants(image, colours);
      const asJpeg = await transformed(`public/formats/${name}.webp`, "w=60&f=jpeg");
      expectQuadrants(asJpeg, colours, 16);
    }
  });

  test("a truncated PNG or WebP: 400", async () => {
    const png = opaquePng("rgb", WIDTH, HEIGHT, rgb);
    const webp = await new Bun.Image(png).webp({ quality: 90 }).bytes();
    for (const [name, bytes] of [["png", png], ["webp", webp]] as const) {
      await put(`public/formats/truncated.${name}`, bytes.subarray(0, Math.floor(bytes.length * 0.7)), `image/${name}`);
      const res = await call(server.url, "GET", `/storage/o/public/formats/truncated.${name}?w=40&f=webp`);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect(res.body.message).toMatch(/could not be decoded|header is broken/);
    }
  });
});

describe("PNG and WebP with transparency", () => {
  // Left half fully transparent green, right half opaque red: made smaller, the visible edge must stay red. A
  // resize on straight (not premultiplied) alpha lets the invisible green bleed into it.
  const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
  for (let index = 0; index < WIDTH * HEIGHT; index++) rgba.set(index % WIDTH < WIDTH / 2 ? [0, 255, 0, 0] : [255, 0, 0, 255], index * 4);

  // Lossless WebP: a lossy one's own chroma subsampling would tint the edge before any resize.
  const sources = {
    png: async () => encodeImage("png", rgba, WIDTH, HEIGHT),
    webp: () => new Bun.Image(encodeImage("png", rgba, WIDTH, HEIGHT)).webp({ lossless: true }).bytes(),
  };
  test.each(["png", "webp"] as const)("%s: transparency kept, no fringe at the edge", async (format) => {
    await put(`public/formats/edge.${format}`, await sources[format](), `image/${format}`);
    const image = await transformed(`public/formats/edge.${format}`, "w=40&f=png");
    expect([image.width, image.height]).toEqual([40, 24]);
    expect(pixel(image, 5, 12)[3]).toBe(0);
    expect(pixel(image, 35, 12)).toEqual([255, 0, 0, 255]);
    // Every partly visible pixel along the edge is red, not tinted green.
    const edge = [];
    for (let x = 15; x <= 25; x++) {
      const [red, green, , alpha] = pixel(image, x, 12);
      if (alpha! > 16) edge.push({ x, red, green });
    }
    expect(edge.length).toBeGreaterThan(0);
    expect(edge.filter(({ red, green }) => red < 250 || green > 5)).toEqual([]);
  });
});
