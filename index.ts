// What `import … from "hoprt"` resolves to outside `hoprt build` (asc looks for
// <package>/index.ts in node_modules, e.g. under as-pect): the app-facing API.
export * from "./assembly/index";
