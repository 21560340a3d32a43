import { testId } from '@dozhim/core';
import { describe, expect, it } from 'vitest';
import { decodeTestIdentity, encodeTestIdentity } from '../../src/db/rows.js';

// The tests dictionary stores only the id when it says the classname and name. Every identity must
// decode to exactly what was stored: two tests that decode alike would merge, and a test that decodes
// to another name would be rerun under a name that does not exist.
const ALPHABET = ['', ':', 'a', '::', 'a:', ':a', 'a::', '::a', ':::'];

describe('encodeTestIdentity / decodeTestIdentity', () => {
  it('round-trips every identity built from ":" and "a", with the id core gives it and with others', () => {
    let derived = 0;
    for (const classname of ALPHABET)
      for (const name of ALPHABET)
        for (const suite of [classname, 'S', '']) {
          const t = { suite, classname, name };
          for (const id of [testId(t), `${classname}::${name}`, 'opaque', `${classname}:${name}`]) {
            const stored = encodeTestIdentity(id, t);
            if (stored.classname === null) derived++;
            expect(
              decodeTestIdentity(id, stored.suite, stored.classname, stored.name),
              JSON.stringify({ id, t }),
            ).toEqual(t);
          }
        }
    // The common case really is stored as the id alone (the check above is not vacuous).
    expect(derived).toBeGreaterThan(20);
  });

  it('the case that fooled it: classname `Login:` and name `works` keep their own columns', () => {
    const t = { suite: 'Login:', classname: 'Login:', name: 'works' };
    expect(encodeTestIdentity('Login:::works', t)).toEqual({
      suite: null,
      classname: 'Login:',
      name: 'works',
    });
    expect(encodeTestIdentity('Login::works', { ...t, classname: 'Login', suite: 'Login' })).toEqual({
      suite: null,
      classname: null,
      name: null,
    });
  });
});
