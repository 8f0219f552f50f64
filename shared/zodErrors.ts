/**
 * Plain-language messages for zod's generic issues ("must be a number",
 * "is required"), so every transport reports bad input the same readable
 * way. Messages written on a schema still take precedence.
 */
import * as z from 'zod';

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
  literal: 'a fixed value',
};

const list = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

z.config({
  customError: (issue) => {
    switch (issue.code) {
      case 'invalid_type':
        if (issue.input === undefined) return 'is required';
        if (issue.expected === 'nonoptional') return 'is required';
        return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
      case 'invalid_value':
        return issue.values.length === 1 ? `must be ${list(issue.values)}` : `must be one of ${list(issue.values)}`;
      case 'invalid_union':
        if ('options' in issue && Array.isArray((issue as { options?: unknown[] }).options)) {
          return `must be one of ${list((issue as { options: unknown[] }).options)}`;
        }
        return 'does not match any allowed form';
      default:
        return undefined;
    }
  },
});

export {};
