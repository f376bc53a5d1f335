// The floor of "fair under a flood" (bench/lib/flood.ts): a bare Bun.serve with the least a server must do. /healthz
// answers OK; POST /auth/register keeps the one account's argon2id hash; POST /auth/login reads the JSON body and
// checks the owner's password at once (its hash waits for nothing), runs a wrong try's check only while fewer than
// two checks run (so the two cores hash, as latchkey's saturated pool does), and refuses every other try at once with
// a 429 and Retry-After. What latchkey's figures under the same flood cannot beat.   `PORT=... bun bench/ref/flood-floor.ts`
const params = { algorithm: "argon2id" as const, memoryCost: 19456, timeCost: 2 };
const RUNNING = 2;
const accounts = new Map<string, string>();
const dummy = await Bun.password.hash("dummy", params);
let running = 0;
const refused = () =>
  new Response('{"status":429,"error":"too-many-requests","message":"Too many requests."}', {
    status: 429,
    headers: { "content-type": "application/json", "retry-after": "1" },
  });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return new Response("OK", { headers: { "content-type": "text/plain; charset=utf-8" } });
    if (request.method !== "POST") return new Response("Not Found", { status: 404 });
    const body = (await request.json()) as { email: string; password: string };
    if (path === "/auth/register") {
      accounts.set(body.email, await Bun.password.hash(body.password, params));
      return Response.json({});
    }
    if (path !== "/auth/login") return new Response("Not Found", { status: 404 });
    const hash = accounts.get(body.email);
    if (hash === undefined && running >= RUNNING) return refused();
    running++;
    try {
      const right = await Bun.password.verify(body.password, hash ?? dummy);
      return right ? Response.json({ session: {} }) : Response.json({ status: 401 }, { status: 401 });
    } finally {
      running--;
    }
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);

export {}; // a module (top-level await)
