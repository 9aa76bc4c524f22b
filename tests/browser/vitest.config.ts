import { defineConfig } from "vitest/config";

// The playground in a real Chromium (`npm run test:browser`, part of `npm test`).
export default defineConfig({
  test: {
    include: ["tests/browser/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
