// SPDX-License-Identifier: Apache-2.0
// Attachments (Comm 1.5.2) and signed statements (Data 2.6) over multipart/mixed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, createSign } from 'node:crypto';
import { startServer } from '../lib/server.mjs';
import { statement, uuid, agent } from '../lib/xapi.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const b64url = (b) => Buffer.from(b).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

function multipart(statements, parts, { firstType = 'application/json', boundary = 'xapi-test-boundary' } = {}) {
  const chunks = [`--${boundary}\r\nContent-Type: ${firstType}\r\n\r\n${JSON.stringify(statements)}`];
  for (const p of parts) {
    let h = `\r\n--${boundary}\r\nContent-Type: ${p.type || 'text/plain'}\r\nContent-Transfer-Encoding: binary\r\n`;
    if (p.hash !== null) h += `X-Experience-API-Hash: ${p.hash ?? sha256(p.data)}\r\n`;
    chunks.push(h + '\r\n', p.data);
  }
  chunks.push(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat(chunks.map((c) => Buffer.isBuffer(c) ? c : Buffer.from(c))), type: `multipart/mixed; boundary=${boundary}` };
}

function withAttachment(data, extra = {}) {
  return statement({ actor: agent('att'), extra: { attachments: [{
    usageType: 'http://example.com/attachment-usage/test', display: { 'en-US': 'a file' },
    contentType: 'text/plain', length: data.length, sha2: sha256(data), ...extra }] } });
}

async function post(mp) {
  return s.req('POST', '/xapi/statements', { body: mp.body, headers: { 'Content-Type': mp.type } });
}

test('multipart statement with raw attachment: stored, returned with attachments=true', async () => {
  const data = Buffer.from('hello attachment ' + uuid());
  const st = withAttachment(data);
  const r = await post(multipart(st, [{ data }]));
  assert.equal(r.status, 200, r.text);
  const id = r.json[0];
  const g = await s.req('GET', `/xapi/statements?statementId=${id}&attachments=true`);
  assert.equal(g.status, 200);
  const ct = g.headers.get('content-type');
  assert.match(ct, /^multipart\/mixed; boundary=/);
  const boundary = ct.split('boundary=')[1];
  const parts = g.text.split(`--${boundary}`);
  assert.equal(parts.length, 4, 'preamble, json, attachment, close');
  assert.match(parts[1], /Content-Type: application\/json/);
  assert.equal(JSON.parse(parts[1].split('\r\n\r\n')[1]).id, id);
  assert.match(parts[2], new RegExp(`X-Experience-API-Hash: ${sha256(data)}`));
  assert.equal(parts[2].split('\r\n\r\n')[1].replace(/\r\n$/, ''), data.toString());
  const plain = await s.req('GET', `/xapi/statements?statementId=${id}&attachments=false`);
  assert.match(plain.headers.get('content-type'), /^application\/json/);
});

test('multipart refusals: missing part, excess part, bad hash, no hash header, wrong first type; nothing stored', async () => {
  const reg = uuid();
  const data = Buffer.from('payload ' + uuid());
  const st = { ...withAttachment(data), context: { registration: reg } };
  const cases = [
    ['missing attachment data', multipart(st, [])],
    ['excess part', multipart(st, [{ data }, { data: Buffer.from('extra') }])],
    ['hash header does not match the data', multipart(st, [{ data, hash: sha256('other') }])],
    ['no hash header', multipart(st, [{ data, hash: null }])],
    ['first part not json', multipart(st, [{ data }], { firstType: 'text/plain' })],
  ];
  for (const [name, mp] of cases) {
    const r = await post(mp);
    assert.equal(r.status, 400, `${name}: ${r.text}`);
  }
  // raw attachment sent as application/json without fileUrl → 400
  const r = await s.req('POST', '/xapi/statements', { body: st });
  assert.equal(r.status, 400);
  // fileUrl-only attachment in application/json is fine
  const fu = withAttachment(Buffer.from('x'), { fileUrl: 'http://example.com/file.txt' });
  assert.equal((await s.req('POST', '/xapi/statements', { body: fu })).status, 200);
  const g = await s.req('GET', `/xapi/statements?registration=${reg}`);
  assert.equal(g.json.statements.length, 0, 'nothing of the refused requests stored');
});

test('signed statements: RS256 accepted; HS256, mismatching payload and garbage refused', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const base = statement({ actor: agent('signer'), id: uuid() });
  const jws = (payload, alg = 'RS256') => {
    const header = b64url(JSON.stringify({ alg }));
    const body = b64url(JSON.stringify(payload));
    const signer = createSign('RSA-SHA256');
    signer.update(`${header}.${body}`);
    return `${header}.${body}.${b64url(signer.sign(privateKey))}`;
  };
  const signed = (sig, st = base) => {
    const data = Buffer.from(sig);
    return multipart({ ...st, attachments: [{ usageType: 'http://adlnet.gov/expapi/attachments/signature',
      display: { 'en-US': 'signature' }, contentType: 'application/octet-stream', length: data.length, sha2: sha256(data) }] },
    [{ data, type: 'application/octet-stream' }]);
  };
  let r = await post(signed(jws(base)));
  assert.equal(r.status, 200, r.text);
  r = await post(signed(jws(base, 'HS256'), { ...base, id: uuid() }));
  assert.equal(r.status, 400);
  assert.match(r.json.message, /RS256, RS384 or RS512/);
  const other = { ...base, id: uuid() };
  r = await post(signed(jws({ ...other, verb: { id: 'http://example.com/other-verb' } }), other));
  assert.equal(r.status, 400);
  assert.match(r.json.message, /logically equivalent/);
  r = await post(signed('not.a-jws', { ...base, id: uuid() }));
  assert.equal(r.status, 400);
});
