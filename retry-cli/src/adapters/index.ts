import { generic } from './generic.js';
import { go } from './go.js';
import { gradle } from './gradle.js';
import { jest } from './jest.js';
import { maven } from './maven.js';
import { mocha } from './mocha.js';
import { playwright } from './playwright.js';
import { pytest } from './pytest.js';
import type { FrameworkAdapter, FrameworkName } from './types.js';
import { vitest } from './vitest.js';

export { applyAdditions, mergeEnv, NONE } from './command.js';
export type { AdapterContext, CommandAdditions, FrameworkAdapter, FrameworkName, TestRef } from './types.js';

const ADAPTERS: Readonly<Record<FrameworkName, FrameworkAdapter>> = {
  pytest,
  jest,
  vitest,
  playwright,
  mocha,
  go,
  maven,
  gradle,
  generic,
};

/** Every `--framework` value, in the order the help text lists them. */
export const FRAMEWORKS = Object.keys(ADAPTERS) as FrameworkName[];

export function isFrameworkName(name: string): name is FrameworkName {
  return Object.hasOwn(ADAPTERS, name);
}

/** The adapter for `--framework <name>`; throws a usage-style error naming the valid values. */
export function getAdapter(name: string): FrameworkAdapter {
  if (!isFrameworkName(name)) {
    throw new Error(`unknown framework "${name}"; expected one of: ${FRAMEWORKS.join(', ')}`);
  }
  return ADAPTERS[name];
}
