// tests/interop/sim_client_test.js: node-smpp's CLIENT (an SMPP implementation nobody here
// wrote) against our smsc-sim executable: bind_transceiver, GSM7 / UCS-2 / concatenated
// (UDH) submit_sm, receipts answered, enquire_link and unbind both ways, a refused bind,
// and what the simulator recorded. Usage: node sim_client_test.js /path/to/smsc-sim
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const smpp = require('smpp');
const { SimProcess } = require('./sim_control');

const simBin = process.argv[2] || process.env.SMSC_SIM;
if (!simBin) {
  console.error('usage: node sim_client_test.js /path/to/smsc-sim');
  process.exit(2);
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = smpp.connect({ url: `smpp://127.0.0.1:${port}` }, () => resolve(s));
    s.once('error', reject);
  });
}
// node-smpp calls back with the response PDU.
const call = (session, command, params = {}) =>
  new Promise((resolve) => session[command](params, resolve));
const nextEvent = (session, name) => new Promise((resolve) => session.once(name, resolve));

// hex submit_sm_resp ids and decimal receipt ids, as many carriers do (docs/smpp.md §Message ids)
const simArgs = ['--name', 'NodeInterop', '--id-format', 'hex', '--receipt-id-format', 'dec',
  '--receipt-delay-ms', '20', '--log-level', 'warn'];
const hexToDec = (hex) => BigInt('0x' + hex).toString().padStart(10, '0');

test('node-smpp client against smsc-sim', async (t) => {
  const sim = await SimProcess.start(simBin, simArgs);
  t.after(() => sim.kill());

  await t.test('a wrong password is refused with ESME_RINVPASWD', async () => {
    const s = await connect(sim.port);
    const resp = await call(s, 'bind_transceiver', { system_id: 'smsgw', password: 'nope' });
    assert.equal(resp.command_status, smpp.ESME_RINVPASWD);
    s.destroy();
  });

  const s = await connect(sim.port);
  const receipts = [];
  s.on('deliver_sm', (pdu) => {
    receipts.push(pdu);
    s.send(pdu.response());
  });
  const serverEnquireLinks = [];
  s.on('enquire_link', (pdu) => {
    serverEnquireLinks.push(pdu);
    s.send(pdu.response());
  });

  await t.test('bind_transceiver', async () => {
    const resp = await call(s, 'bind_transceiver', { system_id: 'smsgw', password: 'secret' });
    assert.equal(resp.command_status, 0);
    assert.equal(resp.system_id, 'SMSCSIM');
  });

  const sent = [];  // {text, message_id}
  const gsmText = 'Kode OTP Anda 123456. Jangan berikan ke siapa pun @ $';
  const ucs2Text = 'Kode OTP: 654321 — jangan dibagikan ✓';
  const longText = 'Pesan panjang: ' + 'abcdefghij'.repeat(40);  // 415 GSM7 chars -> 3 parts of <= 153

  await t.test('submit_sm GSM7 (data_coding 0) and UCS-2 (data_coding 8)', async () => {
    let r = await call(s, 'submit_sm', {
      source_addr: 'SMSGW', destination_addr: '6281234567890', registered_delivery: 1,
      data_coding: 0, short_message: gsmText,
    });
    assert.equal(r.command_status, 0);
    assert.match(r.message_id, /^[0-9A-F]{8}$/);
    sent.push({ text: gsmText, message_id: r.message_id });
    r = await call(s, 'submit_sm', {
      source_addr: 'SMSGW', destination_addr: '6281234567891', registered_delivery: 1,
      data_coding: 8, short_message: ucs2Text,
    });
    assert.equal(r.command_status, 0);
    sent.push({ text: ucs2Text, message_id: r.message_id });
  });

  await t.test('a long message in three UDH-concatenated parts', async () => {
    const parts = [];
    for (let i = 0; i < longText.length; i += 153) parts.push(longText.slice(i, i + 153));
    assert.equal(parts.length, 3);
    for (let i = 0; i < parts.length; i++) {
      const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, parts.length, i + 1]);
      const r = await call(s, 'submit_sm', {
        source_addr: 'SMSGW', destination_addr: '6281234567892', registered_delivery: 1,
        esm_class: 0, data_coding: 0, short_message: { udh, message: parts[i] },
      });
      assert.equal(r.command_status, 0);
      sent.push({ text: parts[i], message_id: r.message_id, part: i + 1 });
    }
  });

  await t.test('every message gets a receipt, answered with deliver_sm_resp', async () => {
    const st = await sim.waitStats((x) => x.receipts_acked === sent.length);
    assert.equal(st.receipts_sent, sent.length);
    assert.equal(receipts.length, sent.length);
    for (const pdu of receipts) {
      assert.equal(pdu.esm_class & 0x3c, 0x04);
      const text = pdu.short_message.message;
      const m = text.match(/^id:(\d{10}) sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} stat:DELIVRD err:000 text:/);
      assert.ok(m, text);
      assert.equal(pdu.receipted_message_id, m[1]);
      assert.equal(pdu.message_state, 2);
      assert.ok(sent.some((x) => hexToDec(x.message_id) === m[1]), `receipt for unknown id ${m[1]}`);
    }
  });

  await t.test('the simulator recorded exactly what was sent', async () => {
    const { submits } = await sim.cmd('submits');
    assert.equal(submits.length, sent.length);
    assert.equal(submits[0].data_coding, 0);
    assert.equal(submits[0].text, gsmText);
    assert.equal(submits[1].data_coding, 8);
    assert.equal(submits[1].text, ucs2Text);
    for (let i = 2; i < 5; i++) {
      assert.equal(submits[i].esm_class & 0x40, 0x40, 'UDHI set');
      assert.deepEqual(submits[i].concat, { reference: 0x2a, total: 3, seqnum: i - 1 });
      assert.equal(submits[i].message_id, sent[i].message_id);
    }
    assert.equal(submits.slice(2).map((x) => x.text).join(''), longText);
  });

  await t.test('enquire_link both ways', async () => {
    const resp = await call(s, 'enquire_link');
    assert.equal(resp.command_status, 0);
    await sim.cmd('enquire_link');
    await sim.waitStats((x) => x.enquire_link_resps_received === 1);
    assert.equal(serverEnquireLinks.length, 1);
    assert.equal((await sim.stats()).enquire_links_received, 1);
  });

  await t.test('unbind initiated by the client', async () => {
    const closed = nextEvent(s, 'close');
    const resp = await call(s, 'unbind');
    assert.equal(resp.command_status, 0);
    await closed;
    await sim.waitStats((x) => x.binds_active === 0 && x.unbinds_received === 1);
  });

  await t.test('unbind initiated by the simulator', async () => {
    const s2 = await connect(sim.port);
    const resp = await call(s2, 'bind_transceiver', { system_id: 'smsgw', password: 'secret' });
    assert.equal(resp.command_status, 0);
    const unbind = nextEvent(s2, 'unbind');
    const closed = nextEvent(s2, 'close');
    await sim.cmd('unbind');
    const pdu = await unbind;
    s2.send(pdu.response());
    await closed;
    const st = await sim.waitStats((x) => x.binds_active === 0);
    assert.equal(st.unbinds_sent, 1);
  });

  await t.test('quit stops the simulator cleanly', async () => {
    const { code } = await sim.quit();
    assert.equal(code, 0);
  });
});

test('SIGTERM stops smsc-sim gracefully', async () => {
  const sim = await SimProcess.start(simBin, ['--log-level', 'warn']);
  const s = await connect(sim.port);
  await call(s, 'bind_transceiver', { system_id: 'smsgw', password: 'secret' });
  const closed = nextEvent(s, 'close');
  sim.proc.kill('SIGTERM');
  const { code } = await sim.exited;
  await closed;
  assert.equal(code, 0);
});
