// The login reference: how many argon2id verifications per second Bun.password does on this machine with the
// parameters latchkey uses (ARGON2_MEMORY_KIB, ARGON2_TIME_COST), on every core: CONCURRENCY verifications are kept
// in flight (Bun runs them on its thread pool) for SECONDS. Prints one JSON line {verifiesPerSecond, ...}.
const memoryCost = Number(process.env.ARGON2_MEMORY_KIB ?? 19456);
const timeCost = Number(process.env.ARGON2_TIME_COST ?? 2);
const seconds = Number(process.env.SECONDS ?? 10);
const warmupSeconds = Number(process.env.WARMUP_SECONDS ?? 2);
const concurrency = Number(process.env.CONCURRENCY ?? 8);

const password = "bench-password-1";
const hash = await Bun.password.hash(password, { algorithm: "argon2id", memoryCost, timeCost });

async function loop(until: number): Promise<number> {
  let done = 0;
  const lane = async () => {
    while (performance.now() < until) {
      if (!(await Bun.password.verify(password, hash))) throw new Error("verify failed");
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return done;
}

await loop(performance.now() + warmupSeconds * 1000);
const started = performance.now();
const verifies = await loop(started + seconds * 1000);
const elapsed = (performance.now() - started) / 1000;
console.log(JSON.stringify({ verifiesPerSecond: verifies / elapsed, verifies, seconds: elapsed, concurrency, memoryCost, timeCost }));

export {}; // a module (top-level await)
