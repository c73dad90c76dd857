// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['scratch/**', 'node_modules/**', '.tools/**', 'data/**', 'dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The workflows and the ingest are small functions over pure reducers and helpers: no function grows back into a
    // closure that holds a whole workflow (docs/design.md, "The workflow modules").
    files: ['workflows/**/*.ts', 'workers/ingest/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'net', 'crypto'], message: 'workflow code is deterministic: no Node built-ins' },
            {
              group: ['../activities/*', '../workers/*', '../api/*', '../store/*'],
              allowTypeImports: true,
              message: 'workflows may import only the types of activities',
            },
          ],
        },
      ],
    },
  },
);
