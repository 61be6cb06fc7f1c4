'use strict';
const tseslint = require('typescript-eslint');

// Type-aware linting over src, test and bench: a floating or misused promise is an error everywhere.
module.exports = tseslint.config(
  {
    ignores: [
      'dist/',
      'build/',
      'prebuilds/',
      'node_modules/',
      'coverage/',
      // checked by scripts/check-package.sh as a consumer of the packed tarball sees them
      'esm/',
      'scripts/package-check/',
      '**/*.js',
      '**/*.mjs',
      '!bench/**/*.js',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // JSON from files, child processes and IPC is typed at the boundary with zod or a cast; these
      // rules would demand a cast on every read of it instead.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
