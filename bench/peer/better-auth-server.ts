// The peer: better-auth (email/password + sessions) on Bun with bun:sqlite, passwords hashed and checked with the
// same argon2id parameters as latchkey (Bun.password, m=ARGON2_MEMORY_KIB, t=ARGON2_TIME_COST), its rate limiter
// off. COOKIE_CACHE=true turns on its session cookie cache (get-session answered from a signed cookie).
// Run from bench/peer (its own node_modules): `PORT=... DB=... bun better-auth-server.ts`.
import { Database } from "bun:sqlite";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";

const port = Number(process.env.PORT ?? 0);
const memoryCost = Number(process.env.ARGON2_MEMORY_KIB ?? 19456);
const timeCost = Number(process.env.ARGON2_TIME_COST ?? 2);
const cookieCache = process.env.COOKIE_CACHE === "true";

const sqlite = new Database(process.env.DB ?? ":memory:", { create: true });
// The same journal settings as latchkey's database (src/db/client.ts).
sqlite.run("PRAGMA journal_mode = WAL");
sqlite.run("PRAGMA synchronous = NORMAL");
sqlite.run("PRAGMA busy_timeout = 5000");

const auth = betterAuth({
  baseURL: `http://127.0.0.1:${port}`,
  secret: "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz",
  database: sqlite,
  emailAndPassword: {
    enabled: true,
    password: {
      hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost, timeCost }),
      verify: ({ hash, password }) => Bun.password.verify(password, hash),
    },
  },
  rateLimit: { enabled: false },
  session: cookieCache ? { cookieCache: { enabled: true, maxAge: 5 * 60 } } : {},
  telemetry: { enabled: false },
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const server = Bun.serve({ hostname: "127.0.0.1", port, fetch: auth.handler });
console.log(`listening on http://127.0.0.1:${server.port}`);
