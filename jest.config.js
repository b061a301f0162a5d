/** Two projects: fast pure tests, and integration tests that need the namespace lab (root, sshd). */
const common = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: { warnOnly: false }, isolatedModules: true }] },
  modulePathIgnorePatterns: ["<rootDir>/bin/"],
  // The examples import the package by name (as outside this repository); here it is the sources.
  moduleNameMapper: { "^weave-lab$": "<rootDir>/components/index.ts" },
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: [
        "<rootDir>/components/**/*.test.ts",
        "<rootDir>/test/unit/**/*.test.ts",
        "<rootDir>/examples/**/*.test.ts",
        "<rootDir>/test/double/**/*.test.ts",
      ],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      // Namespace labs of interrupted runs are removed before and after the run (test/lab).
      globalSetup: "<rootDir>/test/lab/jest-global.ts",
      globalTeardown: "<rootDir>/test/lab/jest-global.ts",
    },
  ],
};
