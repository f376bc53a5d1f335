// Builds the single executable dist/latchkey from src/main.ts: `bun run build` (= `bun build.ts`), for this machine.
// `npm run build:release` (= `bun build.ts --release`) cross-compiles the release binaries instead, one per RELEASES
// entry: dist/latchkey-linux-x64, dist/latchkey-linux-arm64, dist/latchkey-linux-x64-musl. Bun fetches each
// target's runtime (the npm package @oven/bun-<target>) on first use and caches it.
//
// What ends up inside the binary, and how:
// - the SQL migrations: src/db/migrations.ts imports them `with { type: "text" }` (inlined as strings);
// - the Scalar docs script: src/docs/routes.ts imports it `with { type: "file" }` (embedded file, opened with Bun.file);
// - the version: src/version.ts imports package.json (inlined as JSON);
// - the workers (image transforms, upload MD5s, SQLite checkpoints and backup snapshots): more entry points
//   (src/storage/images/worker.ts, src/storage/md5-worker.ts, src/db/sqlite-checkpoint-worker.ts,
//   src/db/sqlite-snapshot-worker.ts), started with new Worker();
// - imagescript's native codecs addon and its wasm decoders: made static requires by imagescriptEmbedPlugin
//   (src/storage/images/embed-plugin.ts); @jsquash/webp's wasm: imported `with { type: "file" }`;
// - what is imported with import() only when a feature needs it (nodemailer, qrcode, the PostgreSQL driver,
//   @simplewebauthn/server, src/metrics.ts): chunks of their own (`splitting`), read and evaluated at that import.
// Nothing is read from the source tree at run time, so the binary works from any folder.
import { readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { imagescriptEmbedPlugin } from "./src/storage/images/embed-plugin.ts";

interface BuildTarget {
  outfile: string;
  /** Bun's --target; undefined: this machine's. */
  target?: Bun.Build.CompileTarget;
  /** Which of imagescript's prebuilt addons (node_modules/imagescript/codecs/node/bin/<addon>.node) to embed. */
  addon?: string;
}

const NATIVE: BuildTarget = { outfile: "dist/latchkey" };

/**
 * The release binaries. imagescript ships one addon per CPU, linked against glibc; the musl binary carries the x64
 * one too, so on a musl system (Alpine) image transforms beyond Bun's own JPEG path need glibc's compatibility layer
 * (`apk add gcompat libgcc`), as the README says.
 */
const RELEASES: BuildTarget[] = [
  { outfile: "dist/latchkey-linux-x64", target: "bun-linux-x64", addon: "x64-linux" },
  { outfile: "dist/latchkey-linux-arm64", target: "bun-linux-arm64", addon: "arm64-linux" },
  { outfile: "dist/latchkey-linux-x64-musl", target: "bun-linux-x64-musl", addon: "x64-linux" },
];

async function build({ outfile, target, addon }: BuildTarget): Promise<void> {
  const started = performance.now();
  rmSync(outfile, { force: true });

  const result = await Bun.build({
    entrypoints: ["src/main.ts", "src/storage/images/worker.ts", "src/storage/md5-worker.ts", "src/db/sqlite-checkpoint-worker.ts", "src/db/sqlite-snapshot-worker.ts"],
    target: "bun",
    compile: {
      outfile,
      // Left out for this machine's build: Bun refuses `target: undefined`.
      ...(target ? { target } : {}),
      // A server's settings come from its environment and a .env file in its working folder (src/config.ts);
      // it must not pick up a bunfig.toml (e.g. this repository's, with its [test] settings) from there.
      autoloadDotenv: true,
      autoloadBunfig: false,
      // JavaScriptCore's tier-up thresholds x1000 while latchkey starts: code that runs only then (the modules' top
      // level, migrations, building the routes) stays in the interpreter, and neither the compilers' memory nor their
      // CPU is spent on it. main.ts sets the normal policy back (Bun.unsafe.setJITPolicy(1)) once the server listens,
      // and for every other command (bench/README.md, "Idle RSS").
      jitPolicy: 1000,
    },
    // Not identifiers: Elysia reads each handler's source to see what it uses, and with a renamed parameter
    // (`({ query: a }) => a.limit`) it decided the route did not use its query, so no query schema was checked in
    // the binary (a `limit` of 1000 against a maximum of 100 answered 200, as the string "1000"). Bodies and
    // params were still checked. test/binary-validation.test.ts runs on the binary in .ci/run.
    minify: { whitespace: true, syntax: true, identifiers: false },
    // Each dynamic import() (nodemailer, qrcode, PostgreSQL's driver, @simplewebauthn/server ...) becomes a chunk of
    // its own in the binary, read and evaluated only when a feature first needs it: in one bundle, its code was part
    // of the one module every start loads (bench/README.md, "Idle RSS"). Modules shared by the workers and the server
    // go to shared chunks too.
    splitting: true,
    // Bytecode needs format "esm" (or cjs) and compile; it roughly halves start-up time (parse work is done here).
    bytecode: true,
    format: "esm",
    // With `compile`, Bun embeds the source map in the binary (stack traces show src/*.ts lines) whatever the
    // mode, and also writes <outfile>.map; that copy is not needed at run time, so it is removed below.
    sourcemap: "linked",
    plugins: [imagescriptEmbedPlugin(addon)],
    // imagescript's wasm decoders, required by the plugin's rewrite, become embedded files (their path is required).
    loader: { ".wasm": "file" },
  });

  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`building ${outfile}${target ? ` (${target})` : ""} failed`);
  }
  for (const log of result.logs) console.warn(log); // warnings, if any
  // The workers' maps (worker.js.map ...) are written beside it too, and are just as unneeded.
  for (const name of readdirSync(dirname(outfile))) if (name.endsWith(".map")) rmSync(join(dirname(outfile), name), { force: true });

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const megabytes = (statSync(outfile).size / 1024 / 1024).toFixed(1);
  console.log(`built ${outfile}${target ? ` (${target})` : ""}: ${megabytes} MiB in ${seconds} s`);
}

const release = process.argv.includes("--release");
try {
  // One after another: each build takes most of a core and a few hundred MB.
  for (const target of release ? RELEASES : [NATIVE]) await build(target);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
