import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/host/**/*.test.ts"],
    // Firmware builds take a second or two each; they are cached per source.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
