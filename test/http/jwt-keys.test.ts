import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner } from 'fast-jwt';
import t from 'tap';
import { ConfigError } from '../../src/config/config.js';
import { loadPublicKeys } from '../../src/http/keys.js';
import { startTestGateway } from '../fixtures/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-keys-'));
const rsaOld = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaNew = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const oldPem = file('old.pem', pem(rsaOld.publicKey));
const newPem = file('new.pem', pem(rsaNew.publicKey));
const jwks = file(
  'jwks.json',
  JSON.stringify({
    keys: [{ ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed-2025', alg: 'EdDSA', use: 'sig' }],
  }),
);

const exp = () => Math.floor(Date.now() / 1000) + 600;
const claims = (sub = 'acme') => ({ sub, role: 'buyer', exp: exp() });
function sign(key: KeyObject, algorithm: 'RS256' | 'EdDSA', kid: string, sub = 'acme'): string {
  const pk = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return createSigner({ key: pk, algorithm, kid, noTimestamp: true })(claims(sub));
}
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

t.test('RS256 and EdDSA keys by kid, several at once; confusion refused', async (t) => {
  const g = await startTestGateway({
    VEIL_JWT_PUBLIC_KEYS: `rsa-old=${oldPem}, rsa-new=${newPem}`,
    VEIL_JWKS_FILE: jwks,
  });
  t.teardown(() => g.close());
  const ok = async (token: string) => (await g.call('/v1/budget', { token })).status;

  t.equal(await ok(sign(rsaOld.privateKey, 'RS256', 'rsa-old')), 200, 'old RSA key still valid');
  t.equal(await ok(sign(rsaNew.privateKey, 'RS256', 'rsa-new')), 200, 'new RSA key valid');
  t.equal(await ok(sign(ed.privateKey, 'EdDSA', 'ed-2025')), 200, 'Ed25519 key from the JWKS');
  t.equal(await ok(g.token('buyer')), 200, 'HS256 with the secret still works');

  const refusals: [string, string][] = [
    ['unknown kid', sign(rsaNew.privateKey, 'RS256', 'rsa-gone')],
    ['a key that is not configured', sign(rogue.privateKey, 'RS256', 'rsa-new')],
    ['signed by the old key under the new kid', sign(rsaOld.privateKey, 'RS256', 'rsa-new')],
    ['RS256 header on the Ed25519 kid', sign(rsaNew.privateKey, 'RS256', 'ed-2025')],
    [
      'no kid',
      createSigner({
        key: rsaNew.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        algorithm: 'RS256',
        noTimestamp: true,
      })(claims()),
    ],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-new' })}.${b64(claims())}.`],
  ];
  const header = b64({ alg: 'HS256', typ: 'JWT', kid: 'rsa-new' });
  const body = b64(claims());
  const mac = createHmac('sha256', pem(rsaNew.publicKey))
    .update(`${header}.${body}`)
    .digest('base64url');
  refusals.push(['HS256 signed with the RSA public key as secret', `${header}.${body}.${mac}`]);
  for (const [what, token] of refusals) {
    const r = await g.call('/v1/budget', { token });
    t.equal(r.status, 401, what);
    t.equal(r.json.error.code, 'VEIL_AUTH_INVALID', what);
  }
});

t.test('bad key configuration names the variable and the kid', async (t) => {
  const bad = (opts: { publicKeys?: string; jwksFile?: string }) => {
    try {
      loadPublicKeys(opts);
      return 'no error';
    } catch (err) {
      t.ok(err instanceof ConfigError);
      return (err as ConfigError).problems.join('; ');
    }
  };
  t.match(bad({ publicKeys: oldPem }), /VEIL_JWT_PUBLIC_KEYS: .* must be kid=path/);
  t.match(bad({ publicKeys: 'k1=/nonexistent.pem' }), /VEIL_JWT_PUBLIC_KEYS: cannot read/);
  t.match(bad({ publicKeys: `k1=${jwks}` }), /not a PEM public key/);
  t.match(bad({ publicKeys: `a=${oldPem},a=${newPem}` }), /kid "a" is given twice/);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  t.match(bad({ publicKeys: `s=${file('small.pem', pem(small.publicKey))}` }), /1024-bit RSA key/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  t.match(bad({ publicKeys: `e=${file('ec.pem', pem(ec.publicKey))}` }), /kid "e" is a ec key/);
  const priv = { keys: [{ ...ed.privateKey.export({ format: 'jwk' }), kid: 'p' }] };
  t.match(bad({ jwksFile: file('priv.json', JSON.stringify(priv)) }), /private key material/);
  t.match(bad({ jwksFile: file('empty.json', '{"keys": []}') }), /at least one key/);
  t.match(
    bad({
      jwksFile: file(
        'nokid.json',
        JSON.stringify({ keys: [ed.publicKey.export({ format: 'jwk' })] }),
      ),
    }),
    /keys\[0\] has no "kid"/,
  );
  const wrongAlg = {
    keys: [{ ...ed.publicKey.export({ format: 'jwk' }), kid: 'w', alg: 'RS256' }],
  };
  t.match(
    bad({ jwksFile: file('alg.json', JSON.stringify(wrongAlg)) }),
    /says alg RS256; its key is for EdDSA/,
  );
  t.same(loadPublicKeys({}), []);
});
