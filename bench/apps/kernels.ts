// The CPU-bound kernels both benchmark builds run (plain WebAssembly and inside the machine):
// the fidelity suite's own reference kernels, so the benchmark measures the code that suite checks.
export { crc32, count } from "../../tests/fidelity/kernels";
