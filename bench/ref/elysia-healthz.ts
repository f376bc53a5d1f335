// The floor of latchkey's /healthz (and of the storage read's route, `/storage/m/*`): the same route on Elysia alone, as latchkey builds it (bench/tools/hot-path.ts
// runs it beside the bare Bun.serve route with HOT_REFS=bench/ref/elysia-healthz.ts). `LAYERS` adds latchkey's
// layers one at a time, to see what each costs: `id` the request-id wrap (AsyncLocalStorage and X-Request-Id, as
// src/http/access-log.ts had it; `idcount`, `idnoals` below), `cors` a global mapResponse hook (as src/cors.ts had it), `drain` the wrap of
// src/http/unread-body.ts. `PORT=... LAYERS=id,cors bun bench/ref/elysia-healthz.ts`
import { AsyncLocalStorage } from "node:async_hooks";
import { Elysia } from "elysia";

const layers = new Set((process.env.LAYERS ?? "").split(",").filter(Boolean));
const current = new AsyncLocalStorage<string>();
type Handle = (request: Request) => Response | Promise<Response>;
const withId = (response: Response, id: string) => {
  response.headers.set("x-request-id", id);
  return response;
};
const app = new Elysia({ normalize: false, handler: { standardHostname: false } });
if (layers.has("drain")) app.wrap((handle, request) => (request.body === null ? handle : handle));
if (layers.has("id")) {
  app.wrap((next) => (request: Request) => {
    const id = crypto.randomUUID();
    const answer = current.run(id, next as unknown as Handle, request);
    return answer instanceof Promise ? answer.then((response) => withId(response, id)) : withId(answer, id);
  });
}
// `idcount`: the id as latchkey makes it since issue 29 (a counter under a random UUID's first 28 characters);
// `idnoals`: the same without AsyncLocalStorage (what the store costs); `header`: only the X-Request-Id header.
const prefix = crypto.randomUUID().slice(0, 28);
let count = 0;
const countedId = () => prefix + (2 ** 32 + count++).toString(16).slice(1);
if (layers.has("idcount") || layers.has("idnoals")) {
  const als = layers.has("idcount");
  app.wrap((next) => (request: Request) => {
    const id = countedId();
    const answer = als ? current.run(id, next as unknown as Handle, request) : (next as unknown as Handle)(request);
    return answer instanceof Promise ? answer.then((response) => withId(response, id)) : withId(answer, id);
  });
}
if (layers.has("cors")) {
  app.use(
    new Elysia({ name: "cors" })
      .mapResponse(({ request, set }) => {
        const origin = request.headers.get("origin");
        if (origin) set.headers["access-control-allow-origin"] = origin;
      })
      .as("global"),
  );
}
app.get("/healthz", () => new Response("OK", { headers: { "content-type": "text/plain; charset=utf-8" } }));
// The storage read's shape without its work (no token, no rules, no row): a wildcard route answering a file's
// metadata as JSON, as `GET /storage/m/*` does.
const metadata = {
  AcceptRanges: "bytes",
  LastModified: new Date(0).toISOString(),
  ContentLength: 15,
  ETag: '"0123456789abcdef0123456789abcdef"',
  ContentType: "text/plain",
  Metadata: { token: crypto.randomUUID() },
};
app.get("/storage/m/*", ({ request }) => ({ key: new URL(request.url).pathname.slice("/storage/m/".length), ...metadata }));
app.listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0), reusePort: false });
console.log(`listening on http://127.0.0.1:${app.server!.port} (${[...layers].join(",") || "Elysia alone"})`);

export {}; // a module
