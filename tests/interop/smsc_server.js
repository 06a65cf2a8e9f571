// tests/interop/smsc_server.js: a small SMSC built with node-smpp (an SMPP implementation
// nobody here wrote), for interop tests of OUR ESME link. It accepts binds for one account,
// answers submit_sm with hex message ids, sends a delivery receipt (text + TLVs) for each
// registered_delivery submit on a receiving bind of the account, answers enquire_link and
// unbind. Prints "listening on 127.0.0.1:PORT"; then reads control commands on stdin, one JSON
// line answered per command:
//   stats         counters and every submit_sm as node-smpp decoded it
//   unbind        server-initiated unbind on every bound session
//   enquire_link  server-initiated enquire_link on every bound session
//   quit          close everything and exit 0 (EOF on stdin does the same)
// Usage: node smsc_server.js [--system-id smsgw] [--password secret] [--receipt-delay-ms 20]
'use strict';
const smpp = require('smpp');
const readline = require('node:readline');

const opts = { 'system-id': 'smsgw', password: 'secret', 'receipt-delay-ms': '20' };
for (let i = 2; i + 1 < process.argv.length; i += 2) opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const stats = {
  binds: 0, binds_refused: 0, unbinds_received: 0, unbinds_sent: 0, unbind_resps_received: 0,
  enquire_links_received: 0, enquire_links_sent: 0, enquire_link_resps_received: 0,
  receipts_sent: 0, receipts_acked: 0, generic_nacks_received: 0,
};
const submits = [];
let nextId = 0x5A0000;
const sessions = new Set();

function yymmddhhmm(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

// What node-smpp decoded from a submit_sm: text, UDH (hex) and concat info if any.
function describe(pdu, id) {
  const sm = pdu.short_message;
  const text = typeof sm === 'string' ? sm : (sm && sm.message) || '';
  const udh = sm && sm.udh ? Buffer.concat(sm.udh) : null;
  let concat = null;
  if (udh && udh.length >= 5 && udh[0] === 0x00) concat = { reference: udh[2], total: udh[3], seqnum: udh[4] };
  if (udh && udh.length >= 6 && udh[0] === 0x08) concat = { reference: udh.readUInt16BE(2), total: udh[4], seqnum: udh[5] };
  return {
    message_id: id, source_addr: pdu.source_addr, destination_addr: pdu.destination_addr,
    esm_class: pdu.esm_class, data_coding: pdu.data_coding, registered_delivery: pdu.registered_delivery,
    text, udh: udh ? udh.toString('hex') : null, concat,
  };
}

function sendReceipt(owner, pdu, id, submitted) {
  // Any receiving bind of the account will do; prefer the one that submitted.
  const receivers = [...sessions].filter((s) => s.receives && s.systemId === owner.systemId);
  const target = receivers.includes(owner) ? owner : receivers[0];
  if (!target) return;
  const text = `id:${id} sub:001 dlvrd:001 submit date:${yymmddhhmm(submitted)} done date:${yymmddhhmm(new Date())} stat:DELIVRD err:000 text:`;
  stats.receipts_sent++;
  target.session.deliver_sm({
    source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, esm_class: 0x04,
    data_coding: 0, short_message: Buffer.from(text, 'ascii'),
    receipted_message_id: id, message_state: 2,
  }, (resp) => { if (resp.command_status === 0) stats.receipts_acked++; });
}

const server = smpp.createServer((session) => {
  const entry = { session, systemId: null, receives: false, bound: false };
  sessions.add(entry);
  session.on('close', () => sessions.delete(entry));
  session.on('error', () => sessions.delete(entry));

  const onBind = (receives, transmits) => (pdu) => {
    if (pdu.system_id !== opts['system-id'] || pdu.password !== opts.password) {
      stats.binds_refused++;
      session.send(pdu.response({ command_status: pdu.system_id !== opts['system-id'] ? smpp.ESME_RINVSYSID : smpp.ESME_RINVPASWD }));
      return;
    }
    stats.binds++;
    Object.assign(entry, { systemId: pdu.system_id, receives, transmits, bound: true });
    session.send(pdu.response({ system_id: 'NODESMSC' }));
  };
  session.on('bind_transceiver', onBind(true, true));
  session.on('bind_transmitter', onBind(false, true));
  session.on('bind_receiver', onBind(true, false));

  session.on('submit_sm', (pdu) => {
    if (!entry.transmits) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    const id = (nextId++).toString(16).toUpperCase();
    submits.push(describe(pdu, id));
    session.send(pdu.response({ message_id: id }));
    if (pdu.registered_delivery & 0x01) {
      const submitted = new Date();
      setTimeout(() => sendReceipt(entry, pdu, id, submitted), Number(opts['receipt-delay-ms']));
    }
  });
  session.on('enquire_link', (pdu) => { stats.enquire_links_received++; session.send(pdu.response()); });
  session.on('unbind', (pdu) => {
    stats.unbinds_received++;
    entry.bound = false;
    entry.receives = false;
    session.send(pdu.response(), () => session.close());
  });
  session.on('generic_nack', () => { stats.generic_nacks_received++; });
});

function command(line) {
  const bound = [...sessions].filter((e) => e.bound);
  switch (line.trim()) {
    case 'stats':
      return { stats: { ...stats, bound: bound.length }, submits };
    case 'unbind':
      for (const e of bound) {
        stats.unbinds_sent++;
        e.bound = false;
        e.receives = false;
        e.session.unbind({}, () => { stats.unbind_resps_received++; e.session.close(); });
      }
      return { ok: 'unbind', sessions: bound.length };
    case 'enquire_link':
      for (const e of bound) {
        stats.enquire_links_sent++;
        e.session.enquire_link({}, () => { stats.enquire_link_resps_received++; });
      }
      return { ok: 'enquire_link', sessions: bound.length };
    case 'quit':
      return null;
    default:
      return { error: `unknown command '${line}'` };
  }
}

function shutdown() {
  for (const e of sessions) e.session.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
}

server.listen(0, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const reply = command(line);
    if (reply === null) {
      console.log(JSON.stringify({ ok: 'quit' }));
      shutdown();
      return;
    }
    console.log(JSON.stringify(reply));
  });
  rl.on('close', shutdown);
});
process.on('SIGTERM', shutdown);
