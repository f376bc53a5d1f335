// Imports with `with { type: "file" }` give a path Bun can open (inside the binary: an embedded file).
declare module "*/standalone.js" {
  const path: string;
  export default path;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
// The admin console's page (src/apis/console/page/), embedded as files and served as they are.
declare module "*/console.js" {
  const path: string;
  export default path;
}
declare module "*/console.css" {
  const path: string;
  export default path;
}
