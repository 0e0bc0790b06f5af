// `npm run lint` (run by `npm test`): type-aware rules that catch what the
// compiler does not (promises nobody awaits, misused async callbacks), plus
// the project's own conventions. Formatting is Prettier's job (.prettierrc.json).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/.out/**', 'src/config/builtin.ts', '**/*.mjs', '**/*.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Async implementations of promise-returning interfaces (sinks, sources, test doubles) need no await.
      '@typescript-eslint/require-await': 'off',
      // `{ type: _t, ...options }` picks options apart; `_x` says "deliberately unused".
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // String(x) of a value of unknown shape is deliberate where it is used (log and key fallbacks).
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests and benchmarks read JSON and poke at doubles: `any` from JSON.parse and
    // methods handed to expect() are how they work, not bugs.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'docs/examples/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
