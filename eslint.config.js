// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'coverage/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // kafkajs hands its batch helpers (heartbeat, resolveOffset, …) as free functions.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The pure core: no I/O, no clock, no adapters.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process'], message: 'src/core is pure: no I/O' },
            { group: ['kafkajs', 'ioredis', '@opentelemetry/*'], message: 'src/core is pure: adapters live outside it' },
            {
              group: ['**/sources/**', '**/stores/**', '**/sinks/**', '**/runtime/**', '**/cli/**', '**/http/**', '**/telemetry/**'],
              message: 'imports point inward',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/core never reads the clock: time is a parameter' },
        { object: 'process', property: 'env', message: 'process.env is read in src/config only' },
      ],
    },
  },
  {
    // Adapters stay behind their ports: kafkajs only in the Kafka source and sink, ioredis only in the Redis store.
    files: ['src/**/*.ts'],
    ignores: ['src/core/**', 'src/sources/kafka/**', 'src/sinks/kafka/**', 'src/stores/redis/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kafkajs', message: 'kafkajs lives under src/sources/kafka and src/sinks/kafka (ports in src/runtime/ports.ts)' },
            { name: 'ioredis', message: 'ioredis lives under src/stores/redis (the StateStore port)' },
          ],
        },
      ],
    },
  },
  {
    // The page's script (ui/): plain JavaScript for the browser, served as is (src/http/page.ts).
    files: ['ui/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'fetch', 'sessionStorage', 'setInterval', 'CSS', 'URLSearchParams', 'console'].map(
          (g) => [g, 'readonly'],
        ),
      ),
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
