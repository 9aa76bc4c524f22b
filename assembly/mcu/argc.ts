/**
 * AssemblyScript's argument-count register: a call that leaves optional
 * arguments out sets the global `~argumentsLength` and the callee's
 * trampoline (`f@varargs`) reads it to fill in the defaults. It is state of
 * the running context, like a core register: a context suspended between
 * the two (at the trampoline's entry check point) and another context that
 * calls such a function meanwhile would make the first one take the other's
 * count (`s.substring(i)` ran as `s.substring(i, 0)`). The check point saves
 * it in the context it suspends and puts it back when that context resumes.
 *
 * These imports exist only until the HopRT transform replaces them with a
 * read and a write of the global (js/compiler/transform.ts): the finished
 * firmware has no imports.
 */
// @ts-ignore: decorator
@external("hoprt", "arguments_length")
export declare function argumentsLength(): i32;
// @ts-ignore: decorator
@external("hoprt", "set_arguments_length")
export declare function setArgumentsLength(count: i32): void;
