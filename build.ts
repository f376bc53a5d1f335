// Builds the single executable dist/latchkey from src/main.ts: `bun run build` (= `bun build.ts`).
//
// What ends up inside the binary, and how:
// - the SQL migrations: src/db/migrations.ts imports them `with { type: "text" }` (inlined as strings);
// - the Scalar docs script: src/docs/routes.ts imports it `with { type: "file" }` (embedded file, opened with Bun.file);
// - the version: src/version.ts imports package.json (inlined as JSON);
// - the workers (image transforms, upload MD5s, SQLite checkpoints and backup snapshots): more entry points
//   (src/storage/images/worker.ts, src/storage/md5-worker.ts, src/db/sqlite-checkpoint-worker.ts,
//   src/db/sqlite-snapshot-worker.ts), started with new Worker();
// - imagescript's native codecs addon and its wasm decoders: made static requires by imagescriptEmbedPlugin
//   (src/storage/images/embed-plugin.ts); @jsquash/webp's wasm: imported `with { type: "file" }`.
// Nothing is read from the source tree at run time, so the binary works from any folder.
import { rmSync, statSync } from "node:fs";
import { imagescriptEmbedPlugin } from "./src/storage/images/embed-plugin.ts";

const OUTFILE = "dist/latchkey";
const started = performance.now();

rmSync(OUTFILE, { force: true });

const result = await Bun.build({
  entrypoints: ["src/main.ts", "src/storage/images/worker.ts", "src/storage/md5-worker.ts", "src/db/sqlite-checkpoint-worker.ts", "src/db/sqlite-snapshot-worker.ts"],
  target: "bun",
  compile: {
    outfile: OUTFILE,
    // A server's settings come from its environment and a .env file in its working folder (src/config.ts);
    // it must not pick up a bunfig.toml (e.g. this repository's, with its [test] settings) from there.
    autoloadDotenv: true,
    autoloadBunfig: false,
  },
  minify: true,
  // Bytecode needs format "esm" (or cjs) and compile; it roughly halves start-up time (parse work is done here).
  bytecode: true,
  format: "esm",
  // With `compile`, Bun embeds the source map in the binary (stack traces show src/*.ts lines) whatever the
  // mode, and also writes dist/latchkey.map; that copy is not needed at run time, so it is removed below.
  sourcemap: "linked",
  plugins: [imagescriptEmbedPlugin()],
  // imagescript's wasm decoders, required by the plugin's rewrite, become embedded files (their path is required).
  loader: { ".wasm": "file" },
});

if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
for (const log of result.logs) console.warn(log); // warnings, if any
rmSync(`${OUTFILE}.map`, { force: true });

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const megabytes = (statSync(OUTFILE).size / 1024 / 1024).toFixed(1);
console.log(`built ${OUTFILE}: ${megabytes} MiB in ${seconds} s`);
