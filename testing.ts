// What `import … from "hoprt/testing"` resolves to outside `hoprt build` (as-pect): see assembly/testing.ts.
export * from "./assembly/testing";
