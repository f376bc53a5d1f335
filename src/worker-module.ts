// Where a worker's entry point is, by its path below src/ (e.g. "storage/md5-worker.ts").
//
// Run from source, this file sits in src/. In the compiled binary, build.ts embeds each worker as an entry point
// under its path below src/ (the entry points' common folder, the binary's root), and bundled code sees that root
// as import.meta.url. The same relative URL is right in both.
export function workerModule(pathBelowSrc: string): URL {
  return new URL(`./${pathBelowSrc}`, import.meta.url);
}
