// The HopRT preset: specs in tests/, the probe's memory layout, and a clear
// error for code that needs the running machine (docs/as-pect.md).
export { default } from "hoprt/as-pect";
