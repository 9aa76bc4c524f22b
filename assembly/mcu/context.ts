// The execution context is owned by kernel/stack; the core and the dispatch loop use it from there.
export * from "../kernel/stack/context";
