// @ts-check
const js = require('@eslint/js')
const tseslint = require('typescript-eslint')

module.exports = tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cloudfunctions/*/index.js',
      'cloudfunctions/*/bundle.js',
      '.localcloud/**',
      '.reports/**',
      'coverage/**',
      'tests/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // The mini-program must import typings/ (outside miniprogramRoot) as types only.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['wx-server-sdk'],
              importNamePattern: '^(?!DB$)',
              message: 'Use server/wx.ts (typed facade) instead.',
            },
          ],
        },
      ],
    },
  },
  {
    // wx-server-sdk is imported by its facade only.
    files: ['server/wx.ts', 'server/db.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['miniprogram/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+typings/',
              allowTypeImports: true,
              message: 'typings/ is outside miniprogramRoot: import types only.',
            },
          ],
        },
      ],
      // DevTools' own TypeScript plugin may be older than 4.5, which added `import { a, type B }`
      // (scripts/check-syntax.ts parses with 4.4): separate `import type` lines instead.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportSpecifier[importKind='type']",
          message:
            'Use a separate `import type { … }` line: inline type specifiers need TypeScript 4.5, newer than older DevTools plugins.',
        },
      ],
    },
  },
  {
    // Pure code both sides import (the pages and the functions): inside miniprogramRoot, so the
    // mini-program can package it, and free of wx, Node and the SDK, so both can run it.
    files: ['miniprogram/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+typings/',
              allowTypeImports: true,
              message: 'typings/ is outside miniprogramRoot: import types only.',
            },
            {
              regex: '^\\.\\./(?!\\.\\./typings/)',
              message: 'shared/ imports only shared/ (and types from typings/).',
            },
            { regex: '^(node:|wx-server-sdk|@cloudbase/)', message: 'shared/ is pure: no Node, no SDK.' },
            { regex: '^[^.]', message: 'shared/ is pure: no packages.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'wx', message: 'shared/ is pure: no wx (the functions import it too).' },
        { name: 'getApp', message: 'shared/ is pure.' },
        { name: 'process', message: 'shared/ is pure: no Node.' },
        { name: 'require', message: 'shared/ is pure.' },
        { name: 'Buffer', message: 'shared/ is pure: no Node.' },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
)
