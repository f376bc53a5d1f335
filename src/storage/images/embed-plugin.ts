// A Bun.build plugin (used by build.ts) that makes imagescript's native addon and wasm files part of the
// compiled binary. imagescript loads them by paths computed at run time (`./bin/${arch()}-${platform()}.node`,
// `join(__dirname, '../any/jpeg.wasm')`), which the bundler cannot see, so inside `bun build --compile` they
// would be looked for on a disk that does not have them. The plugin rewrites those loads into static requires:
// the addon of the build's platform (Bun embeds it and loads it at run time) and the wasm files as embedded
// files (loader "file": the require gives their path inside the binary).
import type { BunPlugin } from "bun";
import { arch, platform } from "node:os";

const WASM_LOAD = "join(__dirname, `../${wasm_path}/${wasm_name}.wasm`)";

export function imagescriptEmbedPlugin(target: string = `${arch()}-${platform()}`): BunPlugin {
  return {
    name: "imagescript-embed",
    setup(build) {
      build.onLoad({ filter: /imagescript[\\/]codecs[\\/]node[\\/]index\.js$/ }, () => ({
        contents: `module.exports = require("./bin/${target}.node");\n`,
        loader: "js",
      }));
      build.onLoad({ filter: /imagescript[\\/]wasm[\\/]node[\\/][a-z]+\.js$/ }, async (args) => {
        const source = await Bun.file(args.path).text();
        const name = /const wasm_name = '([a-z]+)'/.exec(source)?.[1];
        if (!name || !source.includes(WASM_LOAD)) {
          throw new Error(`imagescript-embed: ${args.path} no longer loads its wasm the way this plugin expects`);
        }
        return { contents: source.replace(WASM_LOAD, `require("../any/${name}.wasm")`), loader: "js" };
      });
    },
  };
}
