/**
 * Binaryen's Asyncify runtime, reached from inside the firmware.
 *
 * These imports exist only until the HopRT transform runs the asyncify
 * pass, which replaces them with direct calls to the functions it creates:
 * the finished firmware has no imports. A function that calls one of them
 * is never instrumented by Asyncify itself, which is exactly what the check
 * point and the dispatch loop need.
 */
// @ts-ignore: decorator
@external("asyncify", "start_unwind")
export declare function asyncifyStartUnwind(data: usize): void;
// @ts-ignore: decorator
@external("asyncify", "stop_unwind")
export declare function asyncifyStopUnwind(): void;
// @ts-ignore: decorator
@external("asyncify", "start_rewind")
export declare function asyncifyStartRewind(data: usize): void;
// @ts-ignore: decorator
@external("asyncify", "stop_rewind")
export declare function asyncifyStopRewind(): void;
