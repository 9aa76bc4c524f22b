// The host as one ES module for pages and workers: `import { Machine } from "./host.js"`.
export * from "../../js/host/index.js";
