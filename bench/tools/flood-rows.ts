// bench/run.ts's flood rows alone (bench/lib/flood.ts), on the built binary: `bun run build`, then
//   BENCH_SECONDS=8 BENCH_ROUNDS=2 bun bench/tools/flood-rows.ts
import { join } from "node:path";
import { WORK } from "../lib/harness.ts";
import { floodScenario } from "../lib/flood.ts";
import { renderTable } from "../lib/report.ts";

console.log(`load average: ${(await Bun.file("/proc/loadavg").text()).trim()}`);
const flood = await floodScenario(join(WORK, "flood-data"));
console.log(renderTable(flood.rows));
console.log(`load average: ${(await Bun.file("/proc/loadavg").text()).trim()}`);
process.exit(0);
