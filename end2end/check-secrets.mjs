// After the browser tests: no AURA credential or access token, and no password typed in the
// tests, appears in the server's log or in any file of the built site (the WASM bundle included).
// Usage: node check-secrets.mjs <dashboard URL> <server log> <site dir>
// The client secret comes from AURA_CLIENT_SECRET (scripts/test sets a random one).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [base, logPath, siteDir] = process.argv.slice(2);
const control = await (await fetch(`${base}/sandbox/_control/requests`)).json();
if (!control.tokens?.length) {
  console.error('check-secrets: the sandbox lists no token (is AURA_SANDBOX_EXPOSE_TOKENS=1 set?), so there is nothing to look for');
  process.exit(1);
}
const secrets = [
  ...control.tokens.map((t) => ['an AURA access token', t]),
  ['the AURA client secret', process.env.AURA_CLIENT_SECRET],
  // Typed into the sign-in and user forms by the browser tests.
  ['a password typed in a test', 'a much longer first password'],
  ['a password typed in a test', 'not the password'],
  ['a password typed in a test', 'my own secret phrase'],
].filter(([, value]) => value);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const places = [[logPath, readFileSync(logPath)], ...files(siteDir).map((f) => [f, readFileSync(f)])];
let leaks = 0;
for (const [place, content] of places) {
  for (const [what, value] of secrets) {
    if (content.includes(Buffer.from(value))) {
      console.error(`check-secrets: ${what} appears in ${place}`);
      leaks += 1;
    }
  }
}
if (leaks > 0) process.exit(1);
console.log(`check-secrets: ${secrets.length} secrets, ${places.length} files: none found`);
