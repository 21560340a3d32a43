import { expect, test } from '@playwright/test';
import { firstRun, ran } from '../../../shared/sample-env.cjs';

// A serial group: when the first step fails, Playwright does not run the later ones (reported skipped).
test.describe
  .serial('checkout', () => {
    test('adds to cart', ({}, info) => {
      ran(`${info.project.name}.checkout.add`);
      expect(firstRun(`${info.project.name}.checkout.add`) ? 'empty' : 'one item').toBe('one item');
    });

    test('pays', ({}, info) => {
      ran(`${info.project.name}.checkout.pay`);
    });

    test('ships', ({}, info) => {
      ran(`${info.project.name}.checkout.ship`);
    });
  });

test('declared skipped', ({}, info) => {
  test.skip(true, 'never runs');
  ran(`${info.project.name}.skipped`);
});

test('differs by project', ({}, info) => {
  ran(`${info.project.name}.project`);
  expect(process.env.SAMPLE_FAIL === '1' && info.project.name === 'beta' ? 'broken' : 'ok').toBe('ok');
});
