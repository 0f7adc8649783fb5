// Every browser test runs with a watch on the Content-Security-Policy: a violation Chromium
// reports on any page of the test (its own context or one it opens) fails the test. The pages
// must work with the policy on, not merely load.
import { test as base, expect } from '@playwright/test';

export { expect };

export const test = base.extend({
  /** The violations seen so far in this test (a test that provokes one on purpose clears it). */
  cspViolations: [
    async ({ browser, context }, use) => {
      const violations = [];
      const watch = (ctx) =>
        ctx.on('console', (m) => {
          if (m.text().includes('Content Security Policy')) {
            violations.push(`${m.page()?.url() ?? '?'}: ${m.text()}`);
          }
        });
      watch(context);
      const newContext = browser.newContext;
      browser.newContext = async (...args) => {
        const made = await newContext.apply(browser, args);
        watch(made);
        return made;
      };
      await use(violations);
      browser.newContext = newContext;
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
