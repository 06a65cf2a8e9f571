// tests/interop/sim_control.js: starts our smsc-sim executable for a node test and talks to
// its stdin control channel. start() resolves once the simulator printed
// "listening on ADDR:PORT"; cmd("stats") resolves with the JSON line it answers.
'use strict';
const { spawn } = require('node:child_process');
const readline = require('node:readline');

class SimProcess {
  static start(bin, args = [], { timeoutMs = 15000 } = {}) {
    const sim = new SimProcess();
    sim.proc = spawn(bin, ['--port', '0', '--control', 'stdin', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    sim.stderr = '';
    sim.proc.stderr.on('data', (d) => { sim.stderr += d; });
    sim.waiters = [];
    sim.exited = new Promise((resolve) => sim.proc.on('exit', (code, signal) => resolve({ code, signal })));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('smsc-sim did not start:\n' + sim.stderr)), timeoutMs);
      sim.proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      sim.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`smsc-sim exited (${code}):\n${sim.stderr}`)); });
      readline.createInterface({ input: sim.proc.stdout }).on('line', (line) => {
        const m = line.match(/^listening on ([\d.]+):(\d+)$/);
        if (m && !sim.port) {
          clearTimeout(timer);
          sim.host = m[1];
          sim.port = Number(m[2]);
          resolve(sim);
          return;
        }
        const w = sim.waiters.shift();
        if (w) w(JSON.parse(line));
      });
    });
  }

  /// Sends one control command; resolves with its JSON answer.
  cmd(line) {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.proc.stdin.write(line + '\n');
    });
  }

  async stats() { return (await this.cmd('stats')).stats; }

  /// Polls stats until pred(stats) holds (hang guard only; no timing is asserted).
  async waitStats(pred, timeoutMs = 10000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error('stats never matched: ' + JSON.stringify(s));
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async quit() {
    await this.cmd('quit');
    return this.exited;
  }

  kill() { if (this.proc.exitCode === null) this.proc.kill('SIGKILL'); }
}

module.exports = { SimProcess };
