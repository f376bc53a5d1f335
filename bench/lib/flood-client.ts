// The flood (bench/lib/flood.ts): FLOOD_CONNECTIONS loops of wrong logins, each loop one of FLOOD_ADDRESSES client
// addresses, each sending its next try as soon as the last is answered, for `seconds`; prints the answers by status.
//   bun bench/lib/flood-client.ts <url> <seconds>
import { FLOOD_ADDRESSES, FLOOD_CONNECTIONS } from "./flood.ts";

const [url, seconds] = [process.argv[2]!, Number(process.argv[3])];
const until = Date.now() + seconds * 1000;
const counts = new Map<number, number>();
const loop = async (index: number): Promise<void> => {
  const ip = `203.0.113.${1 + (index % FLOOD_ADDRESSES)}`;
  for (let n = 0; Date.now() < until; n++) {
    try {
      const res = await fetch(`${url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": `${ip}, 127.0.0.1` },
        body: JSON.stringify({ email: `flood-${index}-${n % 20}@example.com`, password: "wrong-password", cookie: false }),
      });
      await res.arrayBuffer();
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
    } catch {
      counts.set(0, (counts.get(0) ?? 0) + 1);
    }
  }
};
await Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, (_, index) => loop(index)));
console.log(JSON.stringify(Object.fromEntries(counts)));
