// Imports with `with { type: "file" }` give a path Bun can open (inside the binary: an embedded file).
declare module "*/standalone.js" {
  const path: string;
  export default path;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
